import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  identityEvents,
  identityRequests,
  ParleyError,
  type ParsedRequestOf,
  type Principal,
  type Tenant,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { PermissionChecker } from '@parley/permissions';
import { TenantEntity, toTenant } from './tenant.entity.js';

type CreateTenant = ParsedRequestOf<typeof identityRequests.createTenant>;

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly permissions: PermissionChecker,
  ) {}

  /** PermissionGuard has checked identity:tenant:create. */
  create(request: CreateTenant): Promise<Tenant> {
    return this.dataSource.transaction((manager) => this.insert(manager, request));
  }

  /**
   * One's own tenant; another only for those who create tenants (platform operators). Anyone else
   * gets the answer of a tenant that does not exist: the caller learns nothing about other tenants.
   */
  async get(actor: Principal, tenantId: string): Promise<Tenant> {
    if (tenantId !== actor.tenantId && !(await this.permissions.can(actor, 'identity:tenant:create'))) {
      throw new ParleyError('not_found', 'No such tenant');
    }
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
    if (!tenant) {
      throw new ParleyError('not_found', 'No such tenant');
    }
    return toTenant(tenant);
  }

  /** Inserts a tenant and its tenant.created event in the caller's transaction. */
  async insert(manager: EntityManager, request: CreateTenant): Promise<Tenant> {
    const tenants = manager.getRepository(TenantEntity);
    if (request.parentTenantId && !(await tenants.existsBy({ id: request.parentTenantId }))) {
      throw new ParleyError('not_found', 'No such parent tenant', { parentTenantId: request.parentTenantId });
    }
    if (await tenants.existsBy({ slug: request.slug })) {
      throw new ParleyError('conflict', 'A tenant with this slug exists', { slug: request.slug });
    }
    const saved = await tenants.save(
      tenants.create({
        slug: request.slug,
        name: request.name,
        parentTenantId: request.parentTenantId ?? null,
        status: 'active',
        allowsSelfRegistration: request.allowsSelfRegistration,
      }),
    );
    const tenant = toTenant(saved);
    await this.outbox.append(manager, identityEvents.tenantCreated, tenant.id, { tenant });
    return tenant;
  }

  findBySlug(manager: EntityManager, slug: string): Promise<TenantEntity | null> {
    return manager.getRepository(TenantEntity).findOneBy({ slug });
  }
}
