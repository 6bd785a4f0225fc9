import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  conversationEvents,
  ParleyError,
  type Conversation,
  type ConversationSummary,
  type conversationRequests,
  type ParsedRequestOf,
  type Participant,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { StandingsTransaction } from '../access/standings.js';
import { UserDirectory } from '../access/user-directory.service.js';
import { toMessage } from '../messages/message.row.js';
import { ParticipantsRepository } from '../participants/participants.repository.js';
import { isLive, toParticipant } from '../participants/participant.row.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { futureInstant } from '../shared/instants.js';
import { characters, checkLimit } from '../shared/limits.js';
import { ConversationLookup, requireGroup } from './conversation-lookup.service.js';
import { toConversation, type ConversationRow } from './conversation.row.js';
import { ConversationsRepository, type GroupChanges } from './conversations.repository.js';
import { iso } from '../shared/sql-values.js';

type Requests = typeof conversationRequests;
type CreateGroup = ParsedRequestOf<Requests['createGroup']>;
type UpdateGroup = ParsedRequestOf<Requests['update']>;

const activityCursor = z.object({ a: z.string().min(1).max(64), i: z.uuid() }).strict();
const titleCursor = z.object({ t: z.string().max(1000), i: z.uuid() }).strict();

/** Direct conversations and groups: creating, reading, changing, listing and discovering them. */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly participants: ParticipantsRepository,
    private readonly lookup: ConversationLookup,
    private readonly users: UserDirectory,
    private readonly standings: StandingsTransaction,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * The direct conversation of the actor and another user, created on first use with both as
   * members. One per pair: concurrent first calls insert one row, and the others find it.
   */
  async getOrCreateDirect(actor: Principal, token: string, userId: string): Promise<Conversation> {
    if (userId === actor.userId) {
      throw new ParleyError('validation_failed', 'A direct conversation needs another user', {
        issues: [{ path: 'userId', message: 'Is the caller' }],
      });
    }
    const [lower, higher] = userId < actor.userId ? [userId, actor.userId] : [actor.userId, userId];
    const existing = await this.conversations.findDirect(
      this.dataSource.manager,
      actor.tenantId,
      lower,
      higher,
    );
    if (existing !== undefined) {
      return toConversation(existing);
    }
    await this.users.requireUsers([userId], token);
    return this.standings.run(actor.tenantId, async (transaction, plan) => {
      const { row, created } = await this.conversations.getOrInsertDirect(
        transaction,
        actor.tenantId,
        actor.userId,
        lower,
        higher,
      );
      const conversation = toConversation(row);
      if (!created) {
        // A concurrent call created it and has committed, with its participants and standings.
        return conversation;
      }
      for (const member of [lower, higher]) {
        await this.participants.join(transaction, {
          conversationId: row.id,
          tenantId: actor.tenantId,
          userId: member,
          standing: 'member',
          addedById: null,
          expiresAt: null,
          lastReadSequence: 0,
        });
        plan.add(row.id, { actorId: member, standing: 'member', validUntil: null, previous: null });
      }
      await this.outbox.append(transaction, conversationEvents.conversationCreated, actor.tenantId, {
        conversation,
        participantIds: [lower, higher],
      });
      return conversation;
    });
  }

  /** A group with the actor as owner and the listed users with their standings. */
  async createGroup(actor: Principal, token: string, request: CreateGroup): Promise<Conversation> {
    checkLimit('title_length', characters(request.title));
    if (request.topic) {
      checkLimit('topic_length', characters(request.topic));
    }
    if (request.participants.some((participant) => participant.userId === actor.userId)) {
      throw new ParleyError(
        'validation_failed',
        'The creator is the owner and is not listed as a participant',
        {
          issues: [{ path: 'participants', message: 'Lists the caller' }],
        },
      );
    }
    checkLimit('participants', request.participants.length + 1);
    const others = request.participants.map((participant, index) => ({
      ...participant,
      expiresAt: futureInstant(participant.validUntil, `participants.${index}.validUntil`),
    }));
    await this.users.requireUsers(
      others.map((participant) => participant.userId),
      token,
    );
    return this.standings.run(actor.tenantId, async (manager, plan) => {
      const row = await this.conversations.insertGroup(manager, {
        tenantId: actor.tenantId,
        createdById: actor.userId,
        title: request.title,
        topic: request.topic ?? null,
        visibility: request.visibility,
        isRestricted: request.isRestricted ?? false,
        isReadOnly: request.isReadOnly ?? false,
        requiresApproval: request.requiresApproval ?? false,
        participantCount: others.length + 1,
      });
      const joining = [
        { userId: actor.userId, standing: 'owner' as const, addedById: null, expiresAt: null },
        ...others.map((other) => ({ ...other, addedById: actor.userId })),
      ];
      for (const member of joining) {
        await this.participants.join(manager, {
          conversationId: row.id,
          tenantId: actor.tenantId,
          userId: member.userId,
          standing: member.standing,
          addedById: member.addedById,
          expiresAt: member.expiresAt,
          lastReadSequence: 0,
        });
        plan.add(row.id, {
          actorId: member.userId,
          standing: member.standing,
          validUntil: member.expiresAt,
          previous: null,
        });
      }
      const conversation = toConversation(row);
      await this.outbox.append(manager, conversationEvents.conversationCreated, actor.tenantId, {
        conversation,
        participantIds: joining.map((member) => member.userId),
      });
      return conversation;
    });
  }

  async get(
    actor: Principal,
    conversationId: string,
  ): Promise<{ conversation: Conversation; me: Participant | null }> {
    const row = await this.lookup.get(actor, conversationId);
    const mine = await this.participants.find(this.dataSource.manager, row.id, actor.userId);
    return {
      conversation: toConversation(row),
      me: mine !== undefined && isLive(mine) ? toParticipant(mine) : null,
    };
  }

  /** Changes a group's title or settings; an update that changes nothing publishes nothing. */
  async update(actor: Principal, request: UpdateGroup): Promise<Conversation> {
    const { conversationId, ...requested } = request;
    if (requested.title !== undefined) {
      checkLimit('title_length', characters(requested.title));
    }
    if (requested.topic) {
      checkLimit('topic_length', characters(requested.topic));
    }
    return this.dataSource.transaction(async (manager) => {
      const row = await this.lookup.lock(actor, conversationId, manager);
      requireGroup(row, 'settings');
      const changes = changedSettings(row, requested);
      const changedFields = Object.keys(changes);
      if (changedFields.length === 0) {
        return toConversation(row);
      }
      const conversation = toConversation(await this.conversations.update(manager, row.id, changes));
      await this.outbox.append(manager, conversationEvents.conversationUpdated, actor.tenantId, {
        conversation,
        changedFields,
      });
      return conversation;
    });
  }

  /**
   * Deletes a group for everyone. The participants' standings stay: they reach a conversation
   * that answers `not_found` to every request.
   */
  async delete(
    actor: Principal,
    conversationId: string,
  ): Promise<{ conversationId: string; deletedAt: string }> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.lookup.lock(actor, conversationId, manager);
      requireGroup(row, 'deletion');
      const deletedAt = await this.conversations.softDelete(manager, row.id);
      await this.outbox.append(manager, conversationEvents.conversationDeleted, actor.tenantId, {
        conversationId: row.id,
        deletedById: actor.userId,
      });
      return { conversationId: row.id, deletedAt: iso(deletedAt) };
    });
  }

  async listMine(
    actor: Principal,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: ConversationSummary[]; nextCursor: string | null }> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, activityCursor);
    const rows = await this.conversations.listMine(
      this.dataSource.manager,
      actor.tenantId,
      actor.userId,
      page.limit + 1,
      after === undefined ? undefined : { activityKey: after.a, id: after.i },
    );
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map((row) => ({
        conversation: toConversation(row.conversation),
        me: toParticipant(row.participant),
        unreadCount: row.unread_count,
        lastMessage: row.last_message === null ? null : toMessage(row.last_message),
      })),
      nextCursor:
        rows.length > page.limit && last !== undefined
          ? encodeCursor({ a: last.activity_key, i: last.conversation.id })
          : null,
    };
  }

  async discover(
    actor: Principal,
    request: ParsedRequestOf<Requests['discover']>,
  ): Promise<ResponseOf<Requests['discover']>> {
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, titleCursor);
    const rows = await this.conversations.discover(
      this.dataSource.manager,
      actor.tenantId,
      actor.userId,
      request.query,
      request.limit + 1,
      after === undefined ? undefined : { titleKey: after.t, id: after.i },
    );
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    return {
      items: items.map((row) => ({
        conversation: toConversation(row.conversation),
        isParticipant: row.is_participant,
      })),
      nextCursor:
        rows.length > request.limit && last !== undefined
          ? encodeCursor({ t: last.title_key, i: last.conversation.id })
          : null,
    };
  }
}

/** The requested settings that differ from the group's. */
function changedSettings(row: ConversationRow, requested: Omit<UpdateGroup, 'conversationId'>): GroupChanges {
  const current: Required<GroupChanges> = {
    title: row.title ?? '',
    topic: row.topic,
    visibility: row.visibility,
    isRestricted: row.is_restricted,
    isReadOnly: row.is_read_only,
    requiresApproval: row.requires_approval,
  };
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(requested)) {
    if (value !== undefined && value !== current[key as keyof GroupChanges]) {
      changes[key] = value;
    }
  }
  return changes;
}
