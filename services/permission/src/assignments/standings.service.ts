import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  ParleyError,
  permissionEvents,
  type ParsedRequestOf,
  type permissionRequests,
  type Principal,
  type ResponseOf,
  type Standing,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { AccessPolicy } from '../access.policy.js';
import { CLOCK, type Clock } from '../permission.options.js';
import { standingPermissionSets } from '../system-permission-sets.js';
import { PlatformTenant } from '../tenants/platform-tenant.service.js';
import type { AssignmentEntity } from './assignment.entity.js';
import { AssignmentsRepository } from './assignments.repository.js';

type SetStandings = ParsedRequestOf<typeof permissionRequests.setStandings>;
type StandingsSet = ResponseOf<typeof permissionRequests.setStandings>;
type StandingResult = StandingsSet['standings'][number];

const standingOfSet = new Map<string, Standing>(
  Object.entries(standingPermissionSets).map(([standing, setId]) => [setId, standing as Standing]),
);

/**
 * Standings in conversations (docs/00010-conventions-permissions.md, section 5): each participant's
 * standing is one live assignment of a conversation permission set, scoped to the conversation.
 * Setting a standing replaces the one the actor had there, in one transaction; setting the same
 * standing again changes nothing and publishes nothing.
 */
@Injectable()
export class StandingsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly platform: PlatformTenant,
    private readonly outbox: OutboxWriter,
    private readonly policy: AccessPolicy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async set(actor: Principal, request: SetStandings): Promise<StandingsSet> {
    await this.policy.require(actor, 'permission:standing:set');
    if (!(await this.platform.is(actor.tenantId))) {
      throw new ParleyError('forbidden', 'Only services of the platform tenant set standings');
    }
    const now = this.clock();
    for (const item of request.standings) {
      if (item.validUntil !== null && new Date(item.validUntil) <= now) {
        throw new ParleyError('validation_failed', 'validUntil is already past', {
          field: 'validUntil',
          actorId: item.actorId,
        });
      }
    }
    const conversation = { type: 'conversation' as const, id: request.conversationId };
    return this.dataSource.transaction(async (manager) => {
      // Two changes to one conversation's standings take turns, so an actor never ends with two.
      await this.assignments.lockResource(manager, request.tenantId, conversation);
      const current = await this.assignments.liveOfResource(
        manager,
        request.tenantId,
        conversation,
        [...standingOfSet.keys()],
        request.standings.map((item) => item.actorId),
      );
      const results: StandingResult[] = [];
      for (const item of request.standings) {
        const held = current.filter((assignment) => assignment.actorId === item.actorId);
        const wanted = item.standing === null ? null : standingPermissionSets[item.standing];
        const expiresAt = item.validUntil === null ? null : new Date(item.validUntil);
        const kept = held.find(
          (assignment) =>
            assignment.permissionSetId === wanted &&
            (assignment.expiresAt?.getTime() ?? null) === (expiresAt?.getTime() ?? null),
        );
        for (const assignment of held.filter((candidate) => candidate !== kept)) {
          await this.revoke(manager, request.tenantId, assignment, actor.userId, now);
        }
        if (kept !== undefined) {
          results.push({ ...item, assignmentId: kept.id, changed: held.length > 1 });
          continue;
        }
        if (wanted === null) {
          results.push({ ...item, assignmentId: null, changed: held.length > 0 });
          continue;
        }
        const saved = await this.assignments.insert(manager, request.tenantId, {
          actorId: item.actorId,
          permission: null,
          permissionSetId: wanted,
          resource: conversation,
          startsAt: null,
          expiresAt,
          conditions: {},
          createdById: actor.userId,
        });
        await this.outbox.append(manager, permissionEvents.assignmentChanged, request.tenantId, {
          actorId: item.actorId,
          assignmentId: saved.id,
          change: 'created',
        });
        results.push({ ...item, assignmentId: saved.id, changed: true });
      }
      return { standings: results };
    });
  }

  private async revoke(
    manager: EntityManager,
    tenantId: string,
    assignment: AssignmentEntity,
    revokedById: string,
    now: Date,
  ): Promise<void> {
    assignment.revokedAt = now;
    assignment.revokedById = revokedById;
    await this.assignments.save(manager, assignment);
    await this.outbox.append(manager, permissionEvents.assignmentChanged, tenantId, {
      actorId: assignment.actorId,
      assignmentId: assignment.id,
      change: 'revoked',
    });
  }
}
