import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { PermissionDomainEntity, PermissionEntity } from './catalog.entity.js';

/** The catalog: permission domains and permissions. Shared by every tenant. */
@Injectable()
export class CatalogRepository {
  findDomains(manager: EntityManager, domains: readonly string[]): Promise<PermissionDomainEntity[]> {
    return manager.getRepository(PermissionDomainEntity).findBy({ domain: In([...domains]) });
  }

  findPermissions(manager: EntityManager, permissions: readonly string[]): Promise<PermissionEntity[]> {
    if (permissions.length === 0) {
      return Promise.resolve([]);
    }
    return manager.getRepository(PermissionEntity).findBy({ permission: In([...permissions]) });
  }

  findPermission(manager: EntityManager, permission: string): Promise<PermissionEntity | null> {
    return manager.getRepository(PermissionEntity).findOneBy({ permission });
  }

  listDomains(manager: EntityManager): Promise<PermissionDomainEntity[]> {
    return manager.getRepository(PermissionDomainEntity).find({ order: { domain: 'ASC' } });
  }

  listPermissions(manager: EntityManager): Promise<PermissionEntity[]> {
    return manager.getRepository(PermissionEntity).find({ order: { permission: 'ASC' } });
  }

  saveDomain(
    manager: EntityManager,
    domain: Pick<PermissionDomainEntity, 'domain' | 'service' | 'description'>,
  ) {
    return manager.getRepository(PermissionDomainEntity).save(domain);
  }

  savePermission(
    manager: EntityManager,
    permission: Pick<PermissionEntity, 'permission' | 'domain' | 'service' | 'description' | 'resourceTypes'>,
  ) {
    return manager.getRepository(PermissionEntity).save(permission);
  }

  /** Serialises registrations, so that two services' declarations never interleave. */
  async lock(manager: EntityManager): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['permission-catalog']);
  }
}
