import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ParleyError, type Principal } from '@parley/contracts';
import { TenantEntity } from './tenants/tenant.entity.js';
import { IDENTITY_OPTIONS, type IdentityOptions } from './identity.options.js';

/**
 * Who may administer what in identity, in one place.
 *
 * Until the permission service exists, administration is reserved to service accounts: a service
 * account administers its own tenant, and a service account of the platform tenant (created at
 * bootstrap) administers every tenant. The permission service replaces these two rules with
 * permission requirements; nothing else in identity decides about administration.
 */
@Injectable()
export class IdentityPolicy {
  private platformTenantId: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  async isPlatformOperator(actor: Principal): Promise<boolean> {
    return actor.kind === 'service' && actor.tenantId === (await this.platformTenant());
  }

  async administers(actor: Principal, tenantId: string): Promise<boolean> {
    if (actor.kind !== 'service') {
      return false;
    }
    return actor.tenantId === tenantId || this.isPlatformOperator(actor);
  }

  async requireAdministrator(actor: Principal, tenantId: string): Promise<void> {
    if (!(await this.administers(actor, tenantId))) {
      throw new ParleyError('forbidden', 'Only an administrator of the tenant may do this');
    }
  }

  async requirePlatformOperator(actor: Principal): Promise<void> {
    if (!(await this.isPlatformOperator(actor))) {
      throw new ParleyError('forbidden', 'Only a platform operator may do this');
    }
  }

  /** Tenants visible to the actor: its own, or any for a platform operator. */
  async requireTenantAccess(actor: Principal, tenantId: string): Promise<void> {
    if (actor.tenantId !== tenantId && !(await this.isPlatformOperator(actor))) {
      // Same answer as a tenant that does not exist: the caller learns nothing about other tenants.
      throw new ParleyError('not_found', 'No such tenant');
    }
  }

  private async platformTenant(): Promise<string | undefined> {
    if (!this.platformTenantId) {
      const tenant = await this.dataSource
        .getRepository(TenantEntity)
        .findOneBy({ slug: this.options.platformTenantSlug });
      this.platformTenantId = tenant?.id;
    }
    return this.platformTenantId;
  }
}
