import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ParleyError, permissionRequests, type RequestOf, type Standing } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { NatsRpcClient } from '@parley/nats';
import { AbilityCache } from '@parley/permissions';
import { STANDINGS_TOKEN_SOURCE, type StandingsTokenSource } from '../conversation.options.js';

/** One participant's standing after a change: `null` when they no longer take part. */
export interface StandingChange {
  readonly actorId: string;
  readonly standing: Standing | null;
  readonly validUntil: Date | null;
}

/** A change together with what it replaces, so that it can be undone. */
export interface PlannedStanding extends StandingChange {
  readonly previous: { readonly standing: Standing; readonly validUntil: Date | null } | null;
}

type SetStandingsRequest = RequestOf<typeof permissionRequests.setStandings>;

/** permission.v1.standing.set takes at most this many standings at once. */
const maxPerRequest = 1000;

/**
 * Sets standings in the permission service (`permission.v1.standing.set`), where they are the
 * truth about what each participant may do, with the service's own service-account token. Then
 * drops this instance's cached permissions of each actor, so that its next request sees the
 * change without waiting for the permission service's event.
 */
@Injectable()
export class StandingsGateway {
  private readonly logger = createLogger(StandingsGateway.name);

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(STANDINGS_TOKEN_SOURCE) private readonly tokens: StandingsTokenSource,
    private readonly cache: AbilityCache,
  ) {}

  /** Throws `unavailable` when the standings could not be set; nothing is then changed. */
  async set(tenantId: string, conversationId: string, changes: readonly StandingChange[]): Promise<void> {
    if (changes.length === 0) {
      return;
    }
    if (changes.length > maxPerRequest) {
      throw new ParleyError('internal', `At most ${maxPerRequest} standings change at once`);
    }
    const request: SetStandingsRequest = {
      tenantId,
      conversationId,
      standings: changes.map((change) => ({
        actorId: change.actorId,
        standing: change.standing,
        validUntil: change.validUntil?.toISOString() ?? null,
      })),
    };
    try {
      await this.send(request, true);
    } catch (error) {
      this.logger.error(
        { err: error, tenantId, conversationId, actors: changes.length },
        'Setting standings in the permission service failed',
      );
      throw new ParleyError('unavailable', 'The participants’ standing could not be set; try again', {
        reason: error instanceof ParleyError ? error.code : 'error',
      });
    }
    for (const change of changes) {
      this.cache.invalidateActor(tenantId, change.actorId);
    }
  }

  private async send(request: SetStandingsRequest, retryRefusedToken: boolean): Promise<void> {
    const token = await this.tokens.accessToken();
    try {
      await this.rpc.request(permissionRequests.setStandings, request, { token });
    } catch (error) {
      // A token the permission service refuses (its session was revoked): log in once more.
      if (retryRefusedToken && error instanceof ParleyError && error.code === 'unauthenticated') {
        this.tokens.reset?.();
        return this.send(request, false);
      }
      throw error;
    }
  }
}

/** Collects the standing changes of one transaction, all in one conversation. */
export class StandingPlan {
  private readonly planned: PlannedStanding[] = [];
  private conversation: string | undefined;

  constructor(readonly tenantId: string) {}

  add(conversationId: string, change: PlannedStanding): void {
    if (this.conversation !== undefined && this.conversation !== conversationId) {
      throw new ParleyError('internal', 'One transaction sets standings in one conversation');
    }
    this.conversation = conversationId;
    this.planned.push(change);
  }

  get conversationId(): string | undefined {
    return this.conversation;
  }

  get changes(): readonly PlannedStanding[] {
    return this.planned;
  }

  /** The changes that undo this plan. */
  reverse(): StandingChange[] {
    return this.planned.map((change) => ({
      actorId: change.actorId,
      standing: change.previous?.standing ?? null,
      validUntil: change.previous?.validUntil ?? null,
    }));
  }
}

/**
 * A database transaction that changes participants and their standings together. The standings
 * are set in the permission service as the transaction's last step, before it commits: when that
 * fails, the transaction rolls back and the caller gets `unavailable`. Should the commit itself
 * fail after the standings were set, they are set back to what they were (best effort, logged).
 */
@Injectable()
export class StandingsTransaction {
  private readonly logger = createLogger(StandingsTransaction.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly gateway: StandingsGateway,
  ) {}

  async run<T>(
    tenantId: string,
    work: (manager: EntityManager, plan: StandingPlan) => Promise<T>,
  ): Promise<T> {
    const plan = new StandingPlan(tenantId);
    let applied: string | undefined;
    try {
      return await this.dataSource.transaction(async (manager) => {
        const result = await work(manager, plan);
        const conversationId = plan.conversationId;
        if (conversationId !== undefined) {
          await this.gateway.set(tenantId, conversationId, plan.changes);
          applied = conversationId;
        }
        return result;
      });
    } catch (error) {
      if (applied !== undefined) {
        await this.undo(plan, applied);
      }
      throw error;
    }
  }

  private async undo(plan: StandingPlan, conversationId: string): Promise<void> {
    try {
      await this.gateway.set(plan.tenantId, conversationId, plan.reverse());
    } catch (error) {
      this.logger.error(
        { err: error, tenantId: plan.tenantId, conversationId },
        'Standings were set but the transaction failed, and setting them back failed too',
      );
    }
  }
}
