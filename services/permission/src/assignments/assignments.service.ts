import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ParleyError,
  permissionEvents,
  type Assignment,
  type Conditions,
  type ParsedRequestOf,
  type permissionRequests,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { AccessPolicy } from '../access.policy.js';
import { CatalogService } from '../catalog/catalog.service.js';
import { checkTimeWindow } from '../evaluation/time-window.js';
import { CLOCK, type Clock } from '../permission.options.js';
import { PermissionSetsRepository } from '../permission-sets/permission-sets.repository.js';
import { systemPermissionSets } from '../system-permission-sets.js';
import { PlatformTenant } from '../tenants/platform-tenant.service.js';
import { toAssignment } from './assignment.entity.js';
import { AssignmentsRepository, type NewAssignment } from './assignments.repository.js';

type CreateAssignment = ParsedRequestOf<typeof permissionRequests.createAssignment>;
type ListAssignments = ParsedRequestOf<typeof permissionRequests.listAssignments>;
type AssignmentPage = ResponseOf<typeof permissionRequests.listAssignments>;
type Revoked = ResponseOf<typeof permissionRequests.revokeAssignment>;
type Bootstrap = ParsedRequestOf<typeof permissionRequests.bootstrapTenantAdministrator>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

@Injectable()
export class AssignmentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly sets: PermissionSetsRepository,
    private readonly catalog: CatalogService,
    private readonly platform: PlatformTenant,
    private readonly outbox: OutboxWriter,
    private readonly policy: AccessPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(actor: Principal, request: CreateAssignment): Promise<Assignment> {
    await this.policy.require(actor, 'permission:assignment:create');
    const target = targetOf(request);
    const conditions = normalisedConditions(request.conditions);
    const startsAt = request.validFrom === undefined ? null : new Date(request.validFrom);
    const expiresAt = request.validUntil === undefined ? null : new Date(request.validUntil);
    if (startsAt !== null && expiresAt !== null && startsAt >= expiresAt) {
      throw new ParleyError('validation_failed', 'validFrom must be before validUntil', {
        field: 'validUntil',
      });
    }
    if (expiresAt !== null && expiresAt <= this.clock()) {
      throw new ParleyError('validation_failed', 'validUntil is already past', { field: 'validUntil' });
    }
    const resource = request.resource ?? null;
    if (resource?.type === 'tenant' && resource.id !== actor.tenantId) {
      // Another tenant's object: answered like one that does not exist.
      throw new ParleyError('not_found', 'No such resource', { field: 'resource' });
    }
    return this.dataSource.transaction(async (manager) => {
      const permissions =
        target.permission === null
          ? await this.setMembers(manager, actor.tenantId, target.permissionSetId)
          : [target.permission];
      const entries = await this.catalog.requireKnown(manager, permissions);
      if (resource !== null) {
        const undeclared = permissions.filter(
          (permission) => !entries.get(permission)?.resourceTypes.includes(resource.type),
        );
        if (undeclared.length > 0) {
          throw new ParleyError(
            'validation_failed',
            `Not declared for resources of type ${resource.type}: ${undeclared.join(', ')}`,
            { field: 'resource.type', permissions: undeclared },
          );
        }
      }
      // platform-operator itself is covered: it contains the platform-only permissions.
      await this.platform.requireAllowedIn(actor.tenantId, permissions, manager);
      return this.insert(manager, actor.tenantId, {
        actorId: request.actorId,
        ...target,
        resource,
        startsAt,
        expiresAt,
        conditions,
        createdById: actor.userId,
      });
    });
  }

  async revoke(actor: Principal, assignmentId: string): Promise<Revoked> {
    await this.policy.require(actor, 'permission:assignment:revoke');
    return this.dataSource.transaction(async (manager) => {
      const assignment = await this.assignments.lockById(manager, actor.tenantId, assignmentId);
      if (assignment === null) {
        throw new ParleyError('not_found', 'No such assignment', { assignmentId });
      }
      if (assignment.revokedAt !== null) {
        // Revoking twice is the same as revoking once.
        return { assignmentId, revokedAt: assignment.revokedAt.toISOString() };
      }
      const now = this.clock();
      assignment.revokedAt = now;
      assignment.revokedById = actor.userId;
      await this.assignments.save(manager, assignment);
      await this.outbox.append(manager, permissionEvents.assignmentChanged, actor.tenantId, {
        actorId: assignment.actorId,
        assignmentId,
        change: 'revoked',
      });
      return { assignmentId, revokedAt: now.toISOString() };
    });
  }

  /** Live assignments of the tenant; an actor may always list its own. */
  async list(actor: Principal, request: ListAssignments): Promise<AssignmentPage> {
    if (request.actorId !== actor.userId) {
      await this.policy.require(actor, 'permission:assignment:list');
    }
    const afterId = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const rows = await this.assignments.list(
      this.dataSource.manager,
      actor.tenantId,
      { actorId: request.actorId, resource: request.resource },
      request.limit + 1,
      afterId,
    );
    const page = rows.slice(0, request.limit);
    const last = page.at(-1);
    return {
      items: page.map(toAssignment),
      nextCursor: rows.length > request.limit && last !== undefined ? encodeCursor(last.id) : null,
    };
  }

  /**
   * Makes a user the first administrator of a tenant: platform operators only, acting from the
   * platform tenant, and only while the tenant has no live tenant-administrator assignment.
   */
  async bootstrapTenantAdministrator(actor: Principal, request: Bootstrap): Promise<Assignment> {
    await this.policy.require(actor, 'permission:tenant-administrator:bootstrap');
    return this.dataSource.transaction(async (manager) => {
      if (!(await this.platform.is(actor.tenantId, manager))) {
        throw new ParleyError('forbidden', 'Only platform operators, from the platform tenant, may do this');
      }
      const setId = systemPermissionSets.tenantAdministrator.id;
      await this.assignments.lockBootstrap(manager, request.tenantId);
      if (await this.assignments.anyLiveOfPermissionSet(manager, setId, request.tenantId)) {
        throw new ParleyError('conflict', 'The tenant has an administrator already', {
          tenantId: request.tenantId,
        });
      }
      return this.insert(manager, request.tenantId, {
        actorId: request.userId,
        permission: null,
        permissionSetId: setId,
        resource: null,
        startsAt: null,
        expiresAt: null,
        conditions: {},
        createdById: actor.userId,
      });
    });
  }

  /**
   * Makes a new service account of the platform tenant the platform operator, while nobody is.
   * Runs in the transaction of the identity event that announced the account; true when it did.
   */
  async bootstrapPlatformOperator(
    manager: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<boolean> {
    const setId = systemPermissionSets.platformOperator.id;
    await this.assignments.lockBootstrap(manager, 'platform');
    if (await this.assignments.anyLiveOfPermissionSet(manager, setId)) {
      return false;
    }
    await this.insert(manager, tenantId, {
      actorId: userId,
      permission: null,
      permissionSetId: setId,
      resource: null,
      startsAt: null,
      expiresAt: null,
      conditions: {},
      createdById: null,
    });
    return true;
  }

  /**
   * What every person and bot holds from the start: `tenant-user`, and `file-owner` with
   * ownedByActor (one rule covering every file the actor will own). Runs in the transaction of
   * identity's user.created; a redelivered event never gets here twice (the claim is in the same
   * transaction).
   */
  async assignEveryUsersSets(manager: EntityManager, tenantId: string, userId: string): Promise<void> {
    const sets: { permissionSetId: string; conditions: Conditions }[] = [
      { permissionSetId: systemPermissionSets.tenantUser.id, conditions: {} },
      { permissionSetId: systemPermissionSets.fileOwner.id, conditions: { ownedByActor: true } },
    ];
    for (const { permissionSetId, conditions } of sets) {
      await this.insert(manager, tenantId, {
        actorId: userId,
        permission: null,
        permissionSetId,
        resource: null,
        startsAt: null,
        expiresAt: null,
        conditions,
        createdById: null,
      });
    }
  }

  private async insert(
    manager: EntityManager,
    tenantId: string,
    assignment: NewAssignment,
  ): Promise<Assignment> {
    const saved = await this.assignments.insert(manager, tenantId, assignment);
    await this.outbox.append(manager, permissionEvents.assignmentChanged, tenantId, {
      actorId: saved.actorId,
      assignmentId: saved.id,
      change: 'created',
    });
    return toAssignment(saved);
  }

  /** The current members of a set usable in the tenant; `not_found` for any other set. */
  private async setMembers(manager: EntityManager, tenantId: string, setId: string): Promise<string[]> {
    const set = await this.sets.lockUsable(manager, tenantId, setId, 'share');
    if (set === null) {
      throw new ParleyError('not_found', 'No such permission set', { permissionSetId: setId });
    }
    return this.sets.membersOf(manager, set.id);
  }
}

/** What is assigned: exactly one of a permission and a permission set. */
function targetOf(
  request: CreateAssignment,
): { permission: string; permissionSetId: null } | { permission: null; permissionSetId: string } {
  if (request.permission !== undefined && request.permissionSetId === undefined) {
    return { permission: request.permission, permissionSetId: null };
  }
  if (request.permission === undefined && request.permissionSetId !== undefined) {
    return { permission: null, permissionSetId: request.permissionSetId };
  }
  throw new ParleyError('validation_failed', 'Give exactly one of permission and permissionSetId', {
    fields: ['permission', 'permissionSetId'],
  });
}

/** Conditions as stored: time zone checked, weekdays once each and in order. */
function normalisedConditions(conditions: Conditions): Conditions {
  const window = conditions.timeWindow;
  if (window === undefined) {
    return conditions;
  }
  checkTimeWindow(window);
  const days = window.days === undefined ? undefined : [...new Set(window.days)].sort((a, b) => a - b);
  return { ...conditions, timeWindow: { ...window, ...(days === undefined ? {} : { days }) } };
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!uuidPattern.test(id)) {
    throw new ParleyError('validation_failed', 'Invalid cursor', { field: 'cursor' });
  }
  return id;
}
