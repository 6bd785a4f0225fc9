import { Injectable } from '@nestjs/common';
import { In, IsNull, type EntityManager } from 'typeorm';
import { PermissionSetEntity, PermissionSetMemberEntity } from './permission-set.entity.js';

/**
 * Permission sets and their members. Every method is scoped to a tenant; system permission sets
 * (no tenant) are visible from every tenant.
 */
@Injectable()
export class PermissionSetsRepository {
  /**
   * A live set usable in the tenant (the tenant's own or a system set), locked for the rest of the
   * transaction: `share` by those who assign it (they do not block each other), `update` by those
   * who change or delete it (they wait for assignments under way, and those wait for them).
   */
  lockUsable(
    manager: EntityManager,
    tenantId: string,
    id: string,
    mode: 'share' | 'update',
  ): Promise<PermissionSetEntity | null> {
    return manager
      .getRepository(PermissionSetEntity)
      .createQueryBuilder('set')
      .setLock(mode === 'share' ? 'pessimistic_read' : 'pessimistic_write')
      .where(
        'set.id = :id AND set.deleted_at IS NULL AND (set.tenant_id = :tenantId OR set.tenant_id IS NULL)',
        {
          id,
          tenantId,
        },
      )
      .getOne();
  }

  /** Whether a live set of the tenant, or a system set, has this name. */
  nameTaken(manager: EntityManager, tenantId: string, name: string): Promise<boolean> {
    return manager.getRepository(PermissionSetEntity).exists({
      where: [
        { tenantId, name, deletedAt: IsNull() },
        { tenantId: IsNull(), name },
      ],
    });
  }

  /** The system sets and the tenant's live sets, system sets first, then by name. */
  listUsable(manager: EntityManager, tenantId: string): Promise<PermissionSetEntity[]> {
    return manager
      .getRepository(PermissionSetEntity)
      .createQueryBuilder('set')
      .where('set.deleted_at IS NULL AND (set.tenant_id = :tenantId OR set.tenant_id IS NULL)', { tenantId })
      .orderBy('set.tenant_id IS NULL', 'DESC')
      .addOrderBy('set.name', 'ASC')
      .getMany();
  }

  insert(
    manager: EntityManager,
    tenantId: string,
    set: { name: string; description: string },
  ): Promise<PermissionSetEntity> {
    const repository = manager.getRepository(PermissionSetEntity);
    return repository.save(repository.create({ tenantId, ...set, deletedAt: null }));
  }

  save(manager: EntityManager, set: PermissionSetEntity): Promise<PermissionSetEntity> {
    return manager.getRepository(PermissionSetEntity).save(set);
  }

  /** Writes the description and moves updated_at (the trigger sets it), returning the stored row. */
  async touch(manager: EntityManager, set: PermissionSetEntity): Promise<PermissionSetEntity> {
    const repository = manager.getRepository(PermissionSetEntity);
    await repository.update({ id: set.id }, { description: set.description });
    return repository.findOneByOrFail({ id: set.id });
  }

  /** Names are unique per tenant: concurrent creations in one tenant take turns. */
  async lockNames(manager: EntityManager, tenantId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`permission-set-names:${tenantId}`]);
  }

  /** Members of each set, by set id. */
  async members(manager: EntityManager, setIds: readonly string[]): Promise<Map<string, string[]>> {
    const byId = new Map<string, string[]>(setIds.map((id) => [id, []]));
    if (setIds.length === 0) {
      return byId;
    }
    const rows = await manager
      .getRepository(PermissionSetMemberEntity)
      .find({ where: { permissionSetId: In([...setIds]) }, order: { permission: 'ASC' } });
    for (const row of rows) {
      byId.get(row.permissionSetId)?.push(row.permission);
    }
    return byId;
  }

  /** The permissions of one set, in order. */
  async membersOf(manager: EntityManager, setId: string): Promise<string[]> {
    const rows = await manager
      .getRepository(PermissionSetMemberEntity)
      .find({ where: { permissionSetId: setId }, order: { permission: 'ASC' } });
    return rows.map((row) => row.permission);
  }

  async addMembers(manager: EntityManager, setId: string, permissions: readonly string[]): Promise<void> {
    if (permissions.length > 0) {
      await manager
        .getRepository(PermissionSetMemberEntity)
        .insert(permissions.map((permission) => ({ permissionSetId: setId, permission })));
    }
  }

  async removeMembers(manager: EntityManager, setId: string, permissions: readonly string[]): Promise<void> {
    if (permissions.length > 0) {
      await manager
        .getRepository(PermissionSetMemberEntity)
        .delete({ permissionSetId: setId, permission: In([...permissions]) });
    }
  }
}
