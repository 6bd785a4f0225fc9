import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ParleyError } from '@parley/contracts';
import { platformOnlyPermissions } from '../system-permission-sets.js';
import { PERMISSION_OPTIONS, type PermissionOptions } from '../permission.options.js';
import { TenantsRepository } from './tenants.repository.js';

/** Recognises the platform tenant, by the slug identity gave it, once its tenant.created arrived. */
@Injectable()
export class PlatformTenant {
  private id: string | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsRepository,
    @Inject(PERMISSION_OPTIONS) private readonly options: PermissionOptions,
  ) {}

  /** The platform tenant's id; undefined while its tenant.created event has not been handled. */
  async tenantId(manager: EntityManager = this.dataSource.manager): Promise<string | undefined> {
    // A tenant's id never changes, so once known it is kept; until then every call looks again.
    this.id ??= (await this.tenants.findBySlug(manager, this.options.platformTenantSlug))?.tenantId;
    return this.id;
  }

  async is(tenantId: string, manager?: EntityManager): Promise<boolean> {
    return (await this.tenantId(manager)) === tenantId;
  }

  /**
   * Refuses permissions that act beyond one tenant anywhere but in the platform tenant, so that
   * administering one tenant never leads to administering others.
   */
  async requireAllowedIn(
    tenantId: string,
    permissions: readonly string[],
    manager?: EntityManager,
  ): Promise<void> {
    const beyond = permissions.filter((permission) => platformOnlyPermissions.has(permission));
    if (beyond.length > 0 && !(await this.is(tenantId, manager))) {
      throw new ParleyError('forbidden', 'These permissions may only be given in the platform tenant', {
        permissions: beyond,
      });
    }
  }
}
