import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { conversationEvents, ParleyError, type Message, type Principal } from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { ConversationLookup } from '../conversations/conversation-lookup.service.js';
import type { ConversationRow } from '../conversations/conversation.row.js';
import { decodeCursor, encodeCursor } from '../shared/cursor.js';
import { toMessage, type MessageRow } from './message.row.js';
import { MessagesRepository } from './messages.repository.js';
import { requireWritable } from './messages.service.js';

const queueCursor = z.object({ m: z.uuid() }).strict();

/**
 * The moderation queue of groups that require approval. A waiting message has no sequence number;
 * approving it gives it the next one, so catch-up readers never see a gap.
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lookup: ConversationLookup,
    private readonly messages: MessagesRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  async list(
    actor: Principal,
    conversationId: string,
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: Message[]; nextCursor: string | null }> {
    const conversation = await this.lookup.get(actor, conversationId);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, queueCursor).m;
    const rows = await this.messages.pending(this.dataSource.manager, conversation.id, after, page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map(toMessage),
      nextCursor: rows.length > page.limit && last !== undefined ? encodeCursor({ m: last.id }) : null,
    };
  }

  /** Publishes a waiting message (not in a read-only group, which takes no message). */
  async approve(actor: Principal, conversationId: string, messageId: string): Promise<Message> {
    return this.dataSource.transaction(async (manager) => {
      const conversation = await this.lookup.lock(actor, conversationId, manager);
      requireWritable(conversation);
      const waiting = await this.waiting(manager, conversation, messageId);
      const message = toMessage(await this.messages.approve(manager, waiting, actor.userId));
      await this.outbox.append(manager, conversationEvents.moderationApproved, actor.tenantId, {
        message,
        moderatorId: actor.userId,
      });
      await this.outbox.append(manager, conversationEvents.messageCreated, actor.tenantId, { message });
      return message;
    });
  }

  async reject(
    actor: Principal,
    conversationId: string,
    messageId: string,
    reason: string | null,
  ): Promise<Message> {
    return this.dataSource.transaction(async (manager) => {
      const conversation = await this.lookup.get(actor, conversationId, manager);
      const waiting = await this.waiting(manager, conversation, messageId);
      const message = toMessage(await this.messages.reject(manager, waiting.id, actor.userId, reason));
      await this.outbox.append(manager, conversationEvents.moderationRejected, actor.tenantId, {
        message,
        moderatorId: actor.userId,
        reason,
      });
      return message;
    });
  }

  private async waiting(
    manager: EntityManager,
    conversation: ConversationRow,
    messageId: string,
  ): Promise<MessageRow> {
    const row = await this.messages.find(manager, conversation.id, messageId, true);
    if (row === undefined) {
      throw new ParleyError('not_found', 'No such message', { messageId });
    }
    if (row.status !== 'pending' || row.deleted_at !== null) {
      throw new ParleyError('conflict', 'This message is not waiting for approval', {
        reason: row.deleted_at !== null ? 'deleted' : row.status,
      });
    }
    return row;
  }
}
