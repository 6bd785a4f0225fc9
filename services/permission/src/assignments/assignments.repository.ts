import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import { conditionsSchema, type ResourceType } from '@parley/contracts';
import { runPrepared } from '@parley/db';
import type { AssignmentFacts } from '../evaluation/evaluator.js';
import { AssignmentEntity } from './assignment.entity.js';

export interface NewAssignment {
  actorId: string;
  permission: string | null;
  permissionSetId: string | null;
  resource: { type: ResourceType; id: string } | null;
  startsAt: Date | null;
  expiresAt: Date | null;
  conditions: AssignmentEntity['conditions'];
  createdById: string | null;
}

/** Which live assignments of an actor an evaluation reads. */
export interface FactsFilter {
  /** Only assignments reaching this permission (and `permissions` holds only it). */
  permission?: string;
  /** Scope: `undefined` any; `null` tenant-wide only; a resource: tenant-wide or that resource. */
  resource?: { type: ResourceType; id: string } | null;
  /** Leaves out assignments that ended at or before this instant. */
  endedBefore?: Date;
}

interface FactsRow {
  id: string;
  resource_type: ResourceType | null;
  resource_id: string | null;
  starts_at: Date | null;
  expires_at: Date | null;
  conditions: unknown;
  permissions: string[];
}

/** Assignments. Every method is scoped to a tenant. */
@Injectable()
export class AssignmentsRepository {
  insert(manager: EntityManager, tenantId: string, assignment: NewAssignment): Promise<AssignmentEntity> {
    const repository = manager.getRepository(AssignmentEntity);
    return repository.save(
      repository.create({
        tenantId,
        actorId: assignment.actorId,
        permission: assignment.permission,
        permissionSetId: assignment.permissionSetId,
        resourceType: assignment.resource?.type ?? null,
        resourceId: assignment.resource?.id ?? null,
        startsAt: assignment.startsAt,
        expiresAt: assignment.expiresAt,
        conditions: assignment.conditions,
        createdById: assignment.createdById,
        revokedById: null,
        revokedAt: null,
      }),
    );
  }

  /** An assignment of the tenant, locked for the rest of the transaction. */
  lockById(manager: EntityManager, tenantId: string, assignmentId: string): Promise<AssignmentEntity | null> {
    return manager
      .getRepository(AssignmentEntity)
      .createQueryBuilder('assignment')
      .setLock('pessimistic_write')
      .where('assignment.tenant_id = :tenantId AND assignment.id = :assignmentId', { tenantId, assignmentId })
      .getOne();
  }

  save(manager: EntityManager, assignment: AssignmentEntity): Promise<AssignmentEntity> {
    return manager.getRepository(AssignmentEntity).save(assignment);
  }

  /** Live assignments of the tenant in id order, after a cursor, optionally of one actor or resource. */
  list(
    manager: EntityManager,
    tenantId: string,
    filter: { actorId?: string | undefined; resource?: { type: ResourceType; id: string } | undefined },
    limit: number,
    afterId: string | undefined,
  ): Promise<AssignmentEntity[]> {
    const builder = manager
      .getRepository(AssignmentEntity)
      .createQueryBuilder('assignment')
      .where('assignment.tenant_id = :tenantId AND assignment.revoked_at IS NULL', { tenantId });
    if (filter.actorId !== undefined) {
      builder.andWhere('assignment.actor_id = :actorId', { actorId: filter.actorId });
    }
    if (filter.resource !== undefined) {
      builder.andWhere('assignment.resource_type = :type AND assignment.resource_id = :id', filter.resource);
    }
    if (afterId !== undefined) {
      builder.andWhere('assignment.id > :afterId', { afterId });
    }
    return builder.orderBy('assignment.id', 'ASC').limit(limit).getMany();
  }

  /** Live assignments of a permission set, in every tenant (a set belongs to one, or is a system set). */
  liveOfPermissionSet(manager: EntityManager, permissionSetId: string): Promise<AssignmentEntity[]> {
    return manager
      .getRepository(AssignmentEntity)
      .find({ where: { permissionSetId, revokedAt: IsNull() }, order: { id: 'ASC' } });
  }

  /** Resource types the live assignments of a permission set are scoped to. */
  async resourceTypesOfPermissionSet(
    manager: EntityManager,
    permissionSetId: string,
  ): Promise<ResourceType[]> {
    const rows: { resource_type: ResourceType }[] = await manager.query(
      `SELECT DISTINCT resource_type FROM permission.assignments
       WHERE permission_set_id = $1 AND revoked_at IS NULL AND resource_type IS NOT NULL
       ORDER BY resource_type`,
      [permissionSetId],
    );
    return rows.map((row) => row.resource_type);
  }

  /** Changes to the assignments on one resource take turns for the rest of the transaction. */
  async lockResource(
    manager: EntityManager,
    tenantId: string,
    resource: { type: ResourceType; id: string },
  ): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `permission-resource:${tenantId}:${resource.type}:${resource.id}`,
    ]);
  }

  /** Live assignments of some permission sets on one resource, of some actors, in id order. */
  liveOfResource(
    manager: EntityManager,
    tenantId: string,
    resource: { type: ResourceType; id: string },
    permissionSetIds: string[],
    actorIds: string[],
  ): Promise<AssignmentEntity[]> {
    return manager
      .getRepository(AssignmentEntity)
      .createQueryBuilder('assignment')
      .setLock('pessimistic_write')
      .where('assignment.tenant_id = :tenantId AND assignment.revoked_at IS NULL', { tenantId })
      .andWhere('assignment.resource_type = :type AND assignment.resource_id = :id', resource)
      .andWhere('assignment.permission_set_id IN (:...permissionSetIds)', { permissionSetIds })
      .andWhere('assignment.actor_id IN (:...actorIds)', { actorIds })
      .orderBy('assignment.id', 'ASC')
      .getMany();
  }

  /** Bootstraps of one kind (per tenant, or the platform's) take turns. */
  async lockBootstrap(manager: EntityManager, key: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`permission-bootstrap:${key}`]);
  }

  /** Whether anyone, in any tenant, holds a live assignment of the permission set. */
  async anyLiveOfPermissionSet(
    manager: EntityManager,
    permissionSetId: string,
    tenantId?: string,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM permission.assignments
       WHERE permission_set_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR tenant_id = $2::uuid)
       LIMIT 1`,
      [permissionSetId, tenantId ?? null],
    );
    return rows.length > 0;
  }

  /**
   * The actor's live assignments in the tenant, each with the permissions it reaches (its
   * permission, or the members of its permission set while that set is not deleted).
   */
  async facts(
    manager: EntityManager,
    tenantId: string,
    actorId: string,
    filter: FactsFilter = {},
  ): Promise<AssignmentFacts[]> {
    const values: unknown[] = [tenantId, actorId];
    const where: string[] = [];
    let reached = `CASE WHEN a.permission_id IS NOT NULL THEN ARRAY[a.permission_id]
      ELSE ARRAY(SELECT m.permission_id FROM permission.permission_set_members m
                 WHERE m.permission_set_id = a.permission_set_id ORDER BY m.permission_id) END`;
    if (filter.permission !== undefined) {
      values.push(filter.permission);
      const p = `$${values.length}`;
      where.push(`(a.permission_id = ${p} OR EXISTS (SELECT 1 FROM permission.permission_set_members m
        WHERE m.permission_set_id = a.permission_set_id AND m.permission_id = ${p}))`);
      reached = `ARRAY[${p}::text]`;
    }
    if (filter.resource === null) {
      where.push('a.resource_id IS NULL');
    } else if (filter.resource !== undefined) {
      values.push(filter.resource.type, filter.resource.id);
      where.push(
        `(a.resource_id IS NULL OR (a.resource_type = $${values.length - 1}::permission.resource_type_enum
          AND a.resource_id = $${values.length}::uuid))`,
      );
    }
    if (filter.endedBefore !== undefined) {
      values.push(filter.endedBefore);
      where.push(`(a.expires_at IS NULL OR a.expires_at > $${values.length})`);
    }
    const text = `SELECT a.id, a.resource_type, a.resource_id, a.starts_at, a.expires_at, a.conditions,
              ${reached} AS permissions
       FROM permission.assignments a
       LEFT JOIN permission.permission_sets s ON s.id = a.permission_set_id
       WHERE a.tenant_id = $1 AND a.actor_id = $2 AND a.revoked_at IS NULL
         AND (a.permission_set_id IS NULL
              OR (s.deleted_at IS NULL AND (s.tenant_id IS NULL OR s.tenant_id = a.tenant_id)))
         ${where.map((condition) => `AND ${condition}`).join('\n         ')}
       ORDER BY a.id`;
    // Checks read this all the time: outside a transaction it is a statement prepared once per
    // connection, one for each shape of filter.
    const shape = [
      filter.permission === undefined ? '' : 'permission',
      filter.resource === null ? 'tenant-wide' : filter.resource === undefined ? '' : 'resource',
      filter.endedBefore === undefined ? '' : 'live',
    ].filter((part) => part !== '');
    const rows: FactsRow[] =
      manager.queryRunner === undefined
        ? await runPrepared<FactsRow>(
            manager.connection,
            { name: ['permission-facts', ...shape].join('-'), text },
            values,
          )
        : await manager.query(text, values);
    return rows.map((row) => ({
      id: row.id,
      permissions: row.permissions,
      resource:
        row.resource_type !== null && row.resource_id !== null
          ? { type: row.resource_type, id: row.resource_id }
          : null,
      startsAt: row.starts_at,
      expiresAt: row.expires_at,
      // Written through the same schema; parsing again keeps a hand-edited row from widening access.
      conditions: conditionsSchema.parse(row.conditions),
    }));
  }
}
