import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantEntity } from './tenant.entity.js';

/** The local record of identity's tenants. */
@Injectable()
export class TenantsRepository {
  /** Records a tenant once; a repeated or late event changes nothing. */
  async record(
    manager: EntityManager,
    tenant: { tenantId: string; parentTenantId: string | null; slug: string },
  ): Promise<void> {
    await manager
      .getRepository(TenantEntity)
      .createQueryBuilder()
      .insert()
      .values(tenant)
      .orIgnore()
      .execute();
  }

  exists(manager: EntityManager, tenantId: string): Promise<boolean> {
    return manager.getRepository(TenantEntity).existsBy({ tenantId });
  }

  findBySlug(manager: EntityManager, slug: string): Promise<TenantEntity | null> {
    return manager.getRepository(TenantEntity).findOneBy({ slug });
  }
}
