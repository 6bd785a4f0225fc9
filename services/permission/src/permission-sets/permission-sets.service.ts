import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ParleyError,
  permissionEvents,
  type ParsedRequestOf,
  type PermissionSet,
  type permissionRequests,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { AccessPolicy } from '../access.policy.js';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { CatalogService } from '../catalog/catalog.service.js';
import { CLOCK, type Clock } from '../permission.options.js';
import { PlatformTenant } from '../tenants/platform-tenant.service.js';
import { toPermissionSet, type PermissionSetEntity } from './permission-set.entity.js';
import { PermissionSetsRepository } from './permission-sets.repository.js';

type CreateSet = ParsedRequestOf<typeof permissionRequests.createPermissionSet>;
type UpdateSet = ParsedRequestOf<typeof permissionRequests.updatePermissionSet>;
type DeletedSet = ResponseOf<typeof permissionRequests.deletePermissionSet>;

@Injectable()
export class PermissionSetsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sets: PermissionSetsRepository,
    private readonly assignments: AssignmentsRepository,
    private readonly catalog: CatalogService,
    private readonly platform: PlatformTenant,
    private readonly outbox: OutboxWriter,
    private readonly policy: AccessPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(actor: Principal, request: CreateSet): Promise<PermissionSet> {
    await this.policy.require(actor, 'permission:permission-set:create');
    const permissions = [...new Set(request.permissions)].sort();
    return this.dataSource.transaction(async (manager) => {
      await this.catalog.requireKnown(manager, permissions);
      await this.platform.requireAllowedIn(actor.tenantId, permissions, manager);
      await this.sets.lockNames(manager, actor.tenantId);
      if (await this.sets.nameTaken(manager, actor.tenantId, request.name)) {
        throw new ParleyError('conflict', 'A permission set with this name exists', { field: 'name' });
      }
      const set = await this.sets.insert(manager, actor.tenantId, {
        name: request.name,
        description: request.description,
      });
      await this.sets.addMembers(manager, set.id, permissions);
      await this.changed(manager, actor.tenantId, set.id, 'created');
      return toPermissionSet(set, permissions);
    });
  }

  async update(actor: Principal, request: UpdateSet): Promise<PermissionSet> {
    await this.policy.require(actor, 'permission:permission-set:update');
    return this.dataSource.transaction(async (manager) => {
      const set = await this.ownSet(manager, actor.tenantId, request.permissionSetId);
      const current = await this.sets.membersOf(manager, set.id);
      let permissions = current;
      let changed = false;
      if (request.permissions !== undefined) {
        permissions = [...new Set(request.permissions)].sort();
        const entries = await this.catalog.requireKnown(manager, permissions);
        await this.platform.requireAllowedIn(actor.tenantId, permissions, manager);
        // Live scoped assignments of the set must stay meaningful for every permission it gains.
        const scopedTo = await this.assignments.resourceTypesOfPermissionSet(manager, set.id);
        const undeclared = permissions.filter((permission) =>
          scopedTo.some((type) => !entries.get(permission)?.resourceTypes.includes(type)),
        );
        if (undeclared.length > 0) {
          throw new ParleyError(
            'validation_failed',
            'The set is assigned on resources some of these permissions are not declared for',
            { field: 'permissions', permissions: undeclared, resourceTypes: scopedTo },
          );
        }
        const removed = current.filter((permission) => !permissions.includes(permission));
        const added = permissions.filter((permission) => !current.includes(permission));
        await this.sets.removeMembers(manager, set.id, removed);
        await this.sets.addMembers(manager, set.id, added);
        changed = removed.length > 0 || added.length > 0;
      }
      if (request.description !== undefined && request.description !== set.description) {
        set.description = request.description;
        changed = true;
      }
      if (!changed) {
        return toPermissionSet(set, permissions);
      }
      // Touched even when only members changed, so that updated_at says when the set last changed.
      const saved = await this.sets.touch(manager, set);
      await this.changed(manager, actor.tenantId, set.id, 'updated');
      return toPermissionSet(saved, permissions);
    });
  }

  /** Deletes the set (softly) and revokes every live assignment of it. */
  async delete(actor: Principal, permissionSetId: string): Promise<DeletedSet> {
    await this.policy.require(actor, 'permission:permission-set:delete');
    return this.dataSource.transaction(async (manager) => {
      const set = await this.ownSet(manager, actor.tenantId, permissionSetId);
      const now = this.clock();
      set.deletedAt = now;
      await this.sets.save(manager, set);
      for (const assignment of await this.assignments.liveOfPermissionSet(manager, set.id)) {
        assignment.revokedAt = now;
        assignment.revokedById = actor.userId;
        await this.assignments.save(manager, assignment);
        await this.outbox.append(manager, permissionEvents.assignmentChanged, assignment.tenantId, {
          actorId: assignment.actorId,
          assignmentId: assignment.id,
          change: 'revoked',
        });
      }
      await this.changed(manager, actor.tenantId, set.id, 'deleted');
      return { permissionSetId: set.id, deletedAt: now.toISOString() };
    });
  }

  async list(actor: Principal): Promise<{ items: PermissionSet[] }> {
    await this.policy.require(actor, 'permission:catalog:list');
    const manager = this.dataSource.manager;
    const sets = await this.sets.listUsable(manager, actor.tenantId);
    const members = await this.sets.members(
      manager,
      sets.map((set) => set.id),
    );
    return { items: sets.map((set) => toPermissionSet(set, members.get(set.id) ?? [])) };
  }

  /** A live set of the tenant itself, locked; system sets change only through migrations. */
  private async ownSet(manager: EntityManager, tenantId: string, id: string): Promise<PermissionSetEntity> {
    const set = await this.sets.lockUsable(manager, tenantId, id, 'update');
    if (set === null) {
      throw new ParleyError('not_found', 'No such permission set', { permissionSetId: id });
    }
    if (set.tenantId === null) {
      throw new ParleyError('forbidden', 'System permission sets change only with a release of the service', {
        permissionSetId: id,
      });
    }
    return set;
  }

  private async changed(
    manager: EntityManager,
    tenantId: string,
    permissionSetId: string,
    change: 'created' | 'updated' | 'deleted',
  ): Promise<void> {
    await this.outbox.append(manager, permissionEvents.permissionSetChanged, tenantId, {
      permissionSetId,
      change,
    });
  }
}
