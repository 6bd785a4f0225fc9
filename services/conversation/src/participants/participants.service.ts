import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  conversationEvents,
  ParleyError,
  type conversationRequests,
  type ParsedRequestOf,
  type Participant,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { StandingsTransaction, type StandingPlan } from '../access/standings.js';
import { UserDirectory } from '../access/user-directory.service.js';
import { ConversationLookup, requireGroup } from '../conversations/conversation-lookup.service.js';
import { int, iso } from '../shared/sql-values.js';
import { ConversationsRepository } from '../conversations/conversations.repository.js';
import type { ConversationRow } from '../conversations/conversation.row.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { futureInstant } from '../shared/instants.js';
import { checkLimit } from '../shared/limits.js';
import { isLive, standingOf, toParticipant, type ParticipantRow } from './participant.row.js';
import { ParticipantsRepository } from './participants.repository.js';

type Requests = typeof conversationRequests;
type AddParticipants = ParsedRequestOf<Requests['addParticipants']>;
type SetStanding = ParsedRequestOf<Requests['setStanding']>;

const userCursor = z.object({ u: z.uuid() }).strict();

/**
 * Who takes part in a group: joining, adding, removing, leaving, standings, muting. Every change of
 * a standing is set in the permission service within the same transaction (StandingsTransaction).
 */
@Injectable()
export class ParticipantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly participants: ParticipantsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly lookup: ConversationLookup,
    private readonly users: UserDirectory,
    private readonly standings: StandingsTransaction,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * Joins a public group as a member. Already taking part: nothing changes. A private group is
   * joined only by being added; a hidden group or a direct conversation does not exist for
   * someone outside it.
   */
  async join(actor: Principal, conversationId: string): Promise<Participant> {
    return this.standings.run(actor.tenantId, async (manager, plan) => {
      const conversation = await this.lookup.lock(actor, conversationId, manager);
      const existing = await this.participants.find(manager, conversation.id, actor.userId, true);
      if (existing !== undefined && isLive(existing)) {
        return toParticipant(existing);
      }
      if (conversation.kind !== 'group' || conversation.visibility === 'hidden') {
        throw new ParleyError('not_found', 'No such conversation', { conversationId });
      }
      if (conversation.visibility !== 'public') {
        throw new ParleyError('forbidden', 'A private group is joined by being added to it', {
          reason: 'private_group',
        });
      }
      const joined = await this.enter(manager, plan, conversation, existing, {
        userId: actor.userId,
        standing: 'member',
        addedById: null,
        expiresAt: null,
      });
      await this.countNewcomers(manager, conversation, [existing]);
      return toParticipant(joined);
    });
  }

  /**
   * Adds users to a group. Those taking part already are left as they were; others join, or join
   * again, with the given standing. Making someone an administrator is a standing change and needs
   * conversation:conversation:update.
   */
  async add(
    actor: Principal,
    token: string,
    request: AddParticipants,
  ): Promise<ResponseOf<Requests['addParticipants']>> {
    const wanted = request.participants.map((participant, index) => ({
      ...participant,
      expiresAt: futureInstant(participant.validUntil, `participants.${index}.validUntil`),
    }));
    const preview = await this.lookup.get(actor, request.conversationId);
    requireGroup(preview, 'participants to add');
    if (wanted.some((participant) => participant.standing === 'administrator')) {
      await this.lookup.require(actor, 'conversation:conversation:update', preview);
    }
    await this.users.requireUsers(
      wanted.map((participant) => participant.userId),
      token,
    );
    return this.standings.run(actor.tenantId, async (manager, plan) => {
      const conversation = await this.lookup.lock(actor, request.conversationId, manager);
      const rows = await this.participants.lockMany(
        manager,
        conversation.id,
        wanted.map((participant) => participant.userId),
      );
      const byUser = new Map(rows.map((row) => [row.user_id, row]));
      const added: Participant[] = [];
      const alreadyParticipants: string[] = [];
      const previous: Array<ParticipantRow | undefined> = [];
      for (const participant of wanted) {
        const existing = byUser.get(participant.userId);
        if (existing !== undefined && isLive(existing)) {
          alreadyParticipants.push(participant.userId);
          continue;
        }
        previous.push(existing);
        const joined = await this.enter(manager, plan, conversation, existing, {
          userId: participant.userId,
          standing: participant.standing,
          addedById: actor.userId,
          expiresAt: participant.expiresAt,
        });
        added.push(toParticipant(joined));
      }
      await this.countNewcomers(manager, conversation, previous);
      return { added, alreadyParticipants };
    });
  }

  /**
   * Removes a participant. Owners are removed only by those who may change the group
   * (conversation:conversation:update), and never the last one.
   */
  async remove(
    actor: Principal,
    conversationId: string,
    userId: string,
  ): Promise<ResponseOf<Requests['removeParticipant']>> {
    const preview = await this.lookup.get(actor, conversationId);
    requireGroup(preview, 'participants to remove');
    const leftAt = await this.depart(actor, conversationId, userId, async (manager, conversation, row) => {
      if (row.standing === 'owner') {
        await this.lookup.require(actor, 'conversation:conversation:update', conversation);
        await this.requireAnotherOwner(manager, conversation, userId);
      }
    });
    return { conversationId, userId, removedAt: leftAt };
  }

  /** Leaves a group. The last owner must make someone else owner first, unless nobody else is left. */
  async leave(actor: Principal, conversationId: string): Promise<ResponseOf<Requests['leave']>> {
    const leftAt = await this.depart(
      actor,
      conversationId,
      actor.userId,
      async (manager, conversation, row) => {
        requireGroup(conversation, 'leaving');
        if (row.standing === 'owner' && conversation.participant_count > 1) {
          await this.requireAnotherOwner(manager, conversation, actor.userId);
        }
      },
    );
    return { conversationId, userId: actor.userId, leftAt };
  }

  /** Changes a participant's standing or membership end; the last owner keeps being one. */
  async setStanding(actor: Principal, request: SetStanding): Promise<Participant> {
    const expiresAt = futureInstant(request.validUntil, 'validUntil');
    return this.standings.run(actor.tenantId, async (manager, plan) => {
      const conversation = await this.lookup.lock(actor, request.conversationId, manager);
      requireGroup(conversation, 'standings');
      const row = await this.liveParticipant(manager, conversation, request.userId);
      if (row.standing === 'owner' && request.standing !== 'owner') {
        await this.requireAnotherOwner(manager, conversation, request.userId);
      }
      const changed = await this.participants.setStanding(
        manager,
        conversation.id,
        request.userId,
        request.standing,
        expiresAt,
      );
      plan.add(conversation.id, {
        actorId: request.userId,
        standing: request.standing,
        validUntil: expiresAt,
        previous: standingOf(row),
      });
      const participant = toParticipant(changed);
      await this.outbox.append(manager, conversationEvents.participantStandingChanged, actor.tenantId, {
        conversationId: conversation.id,
        participant,
      });
      return participant;
    });
  }

  /** Mutes the conversation for the actor until an instant, or unmutes it. */
  async mute(actor: Principal, conversationId: string, mutedUntil: string | null): Promise<Participant> {
    const until = futureInstant(mutedUntil, 'mutedUntil');
    return this.dataSource.transaction(async (manager) => {
      const conversation = await this.lookup.get(actor, conversationId, manager);
      await this.liveParticipant(manager, conversation, actor.userId);
      const participant = toParticipant(
        await this.participants.mute(manager, conversation.id, actor.userId, until),
      );
      await this.outbox.append(manager, conversationEvents.participantMuted, actor.tenantId, {
        conversationId: conversation.id,
        participant,
      });
      return participant;
    });
  }

  async list(
    actor: Principal,
    request: ParsedRequestOf<Requests['listParticipants']>,
  ): Promise<ResponseOf<Requests['listParticipants']>> {
    const conversation = await this.lookup.get(actor, request.conversationId);
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, userCursor).u;
    const rows = await this.participants.list(
      this.dataSource.manager,
      conversation.id,
      request.limit + 1,
      after,
    );
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    return {
      items: items.map(toParticipant),
      nextCursor:
        rows.length > request.limit && last !== undefined ? encodeCursor({ u: last.user_id }) : null,
    };
  }

  /** A user (again) becomes a participant: the row, the standing to set, the event. */
  private async enter(
    manager: EntityManager,
    plan: StandingPlan,
    conversation: ConversationRow,
    existing: ParticipantRow | undefined,
    joining: Pick<ParticipantRow, 'standing'> & {
      userId: string;
      addedById: string | null;
      expiresAt: Date | null;
    },
  ): Promise<ParticipantRow> {
    const row = await this.participants.join(manager, {
      conversationId: conversation.id,
      tenantId: conversation.tenant_id,
      userId: joining.userId,
      standing: joining.standing,
      addedById: joining.addedById,
      expiresAt: joining.expiresAt,
      // A newcomer starts at the present: earlier messages are history, not unread.
      lastReadSequence: int(conversation.last_sequence),
    });
    plan.add(conversation.id, {
      actorId: joining.userId,
      standing: joining.standing,
      validUntil: joining.expiresAt,
      previous: existing === undefined || existing.left_at !== null ? null : standingOf(existing),
    });
    await this.outbox.append(manager, conversationEvents.participantJoined, conversation.tenant_id, {
      conversationId: conversation.id,
      participant: toParticipant(row),
      // Read under the conversation's lock, with the sequence number the newcomer starts at.
      lastRevision: int(conversation.last_revision),
    });
    return row;
  }

  /**
   * Counts those who joined: rows that had left (or did not exist) add to the count, rows whose
   * membership had only ended were counted all along. Refuses going above the group limit.
   */
  private async countNewcomers(
    manager: EntityManager,
    conversation: ConversationRow,
    previous: ReadonlyArray<ParticipantRow | undefined>,
  ): Promise<void> {
    const newcomers = previous.filter((row) => row === undefined || row.left_at !== null).length;
    checkLimit('participants', conversation.participant_count + newcomers);
    await this.conversations.addParticipantCount(manager, conversation.id, newcomers);
  }

  /** Ends a participation (leave or removal): the row, the count, the standing, the event. */
  private async depart(
    actor: Principal,
    conversationId: string,
    userId: string,
    allow: (manager: EntityManager, conversation: ConversationRow, row: ParticipantRow) => Promise<void>,
  ): Promise<string> {
    return this.standings.run(actor.tenantId, async (manager, plan) => {
      const conversation = await this.lookup.lock(actor, conversationId, manager);
      const row = await this.participants.find(manager, conversation.id, userId, true);
      if (row === undefined || row.left_at !== null) {
        throw new ParleyError('not_found', 'Not a participant of this conversation', { userId });
      }
      await allow(manager, conversation, row);
      const leftAt = await this.participants.leave(manager, conversation.id, userId);
      await this.conversations.addParticipantCount(manager, conversation.id, -1);
      plan.add(conversation.id, {
        actorId: userId,
        standing: null,
        validUntil: null,
        previous: standingOf(row),
      });
      await this.outbox.append(manager, conversationEvents.participantLeft, actor.tenantId, {
        conversationId: conversation.id,
        userId,
        removedById: userId === actor.userId ? null : actor.userId,
      });
      return iso(leftAt);
    });
  }

  private async liveParticipant(
    manager: EntityManager,
    conversation: ConversationRow,
    userId: string,
  ): Promise<ParticipantRow> {
    const row = await this.participants.find(manager, conversation.id, userId, true);
    if (row === undefined || !isLive(row)) {
      throw new ParleyError('not_found', 'Not a participant of this conversation', { userId });
    }
    return row;
  }

  private async requireAnotherOwner(
    manager: EntityManager,
    conversation: ConversationRow,
    userId: string,
  ): Promise<void> {
    if ((await this.participants.otherOwners(manager, conversation.id, userId)) === 0) {
      throw new ParleyError('conflict', 'A group keeps at least one owner: make someone else owner first', {
        reason: 'last_owner',
      });
    }
  }
}
