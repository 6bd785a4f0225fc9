import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  conversationEvents,
  ParleyError,
  type conversationRequests,
  type Message,
  type MessageView,
  type ParsedRequestOf,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { createLogger, requestContext, type RequestContextValues } from '@parley/logging';
import { ConversationLookup } from '../conversations/conversation-lookup.service.js';
import type { ConversationRow } from '../conversations/conversation.row.js';
import { ParticipantsRepository } from '../participants/participants.repository.js';
import { isLive } from '../participants/participant.row.js';
import { Batches } from '../shared/batches.js';
import { decodeCursor, encodeCursor, sequenceCursor } from '../shared/cursor.js';
import { characters, checkLimit } from '../shared/limits.js';
import { int, iso } from '../shared/sql-values.js';
import { toMessage, type MessageRow } from './message.row.js';
import {
  MessagesRepository,
  type MessageViewRow,
  type NewMessage,
  type OpenSend,
  type PageOf,
  type SeenSettings,
} from './messages.repository.js';

type Requests = typeof conversationRequests;
type Send = ParsedRequestOf<Requests['send']>;
type Edit = ParsedRequestOf<Requests['edit']>;
type Page = { limit: number; cursor?: string | undefined };

/** How often a send is decided again when the conversation changed under it. */
const sendAttempts = 3;

/** Thrown inside a send transaction to roll it back: a concurrent retry inserted the message. */
class SendRaced extends Error {}

/**
 * Sends into open conversations that arrive together are published by one statement: at most
 * this many, with this many statements under way at once (each holds a pool connection), which
 * never share a conversation (they would only wait for each other's lock on it).
 */
export const openSendBatch = { size: 100, concurrency: 4 };

/** Stands in for what the database assigns until the statement fills it in. */
const assignedLater = {
  id: '00000000-0000-7000-8000-000000000000',
  sequence: 1,
  at: new Date(0).toISOString(),
};

const openSettings: SeenSettings = { isRestricted: false, requiresApproval: false };

/** A send waiting for its batch, with the request it came in. */
interface QueuedSend extends OpenSend {
  actor: Principal;
  context: RequestContextValues | undefined;
  /** The reply, but for what the statement assigns. */
  draft: Message;
}

/**
 * Sending, editing, deleting and reading messages, and read positions. The sequence number of a
 * message is taken from its conversation's row in the transaction that publishes it.
 */
@Injectable()
export class MessagesService {
  private readonly logger = createLogger(MessagesService.name);
  private readonly openSends = new Batches<QueuedSend, Message | undefined>(
    (sends) => this.publishOpen(sends),
    { ...openSendBatch, key: (send) => send.message.conversationId },
  );

  constructor(
    private readonly dataSource: DataSource,
    private readonly messages: MessagesRepository,
    private readonly participants: ParticipantsRepository,
    private readonly lookup: ConversationLookup,
    private readonly outbox: OutboxWriter,
  ) {}

  /**
   * Sends a message. The requirement conversation:message:send was met by the guard; a restricted
   * group also needs conversation:message:send-restricted, a read-only one takes nothing, and in a
   * group that requires approval the message of someone who cannot moderate waits in the queue.
   * A retry with the same client message id returns the first result, never a second message.
   */
  async send(actor: Principal, request: Send): Promise<Message> {
    checkLimit('body_length', characters(request.body));
    checkLimit('mentions', new Set(request.mentions).size);
    checkLimit('attachments', request.attachments.length);
    if (request.body.trim() === '' && request.attachments.length === 0) {
      throw new ParleyError('validation_failed', 'A message needs text or an attachment', {
        issues: [{ path: 'body', message: 'Empty' }],
      });
    }
    // Ids come in lower case (the contract's idSchema), as the database writes them: the batched
    // path answers with them as given.
    const message: NewMessage = {
      conversationId: request.conversationId,
      tenantId: actor.tenantId,
      senderId: actor.userId,
      clientMessageId: request.clientMessageId,
      body: request.body,
      replyToId: request.replyToId ?? null,
      mentions: [...new Set(request.mentions)],
      attachments: request.attachments,
    };
    if (message.mentions.length === 0 && message.replyToId === null) {
      // Most messages go to open conversations: publish at once, together with the sends that
      // arrive at the same time, in one statement that does so only while the conversation exists
      // in the actor's tenant and is neither restricted, read-only nor moderated. Anything else,
      // and a retry of a message sent before, is decided the long way below.
      const sent = await this.openSends.submit(this.queued(actor, message));
      if (sent !== undefined) {
        return sent;
      }
    }
    for (let attempt = 1; ; attempt += 1) {
      const conversation = await this.lookup.get(actor, request.conversationId);
      const sent = await this.admit(actor, conversation, message);
      if (sent !== undefined) {
        return toMessage(sent);
      }
      const outcome = await this.deliver(actor, conversation, message);
      if (outcome !== undefined) {
        return toMessage(outcome);
      }
      if (attempt === sendAttempts) {
        throw new ParleyError('conflict', 'The conversation keeps changing; try again', { reason: 'busy' });
      }
    }
  }

  /** Edits the text and mentions of the actor's own message, published or waiting. */
  async edit(actor: Principal, request: Edit): Promise<Message> {
    checkLimit('body_length', characters(request.body));
    checkLimit('mentions', new Set(request.mentions).size);
    const conversation = await this.lookup.get(actor, request.conversationId);
    await this.lookup.require(actor, 'conversation:message:send', conversation);
    requireWritable(conversation);
    const mentions = [...new Set(request.mentions)];
    await this.requireParticipants(conversation, mentions);
    return this.dataSource.transaction(async (manager) => {
      const row = await this.existing(manager, conversation, request.messageId, true);
      if (row.sender_id !== actor.userId) {
        throw new ParleyError('forbidden', 'Only the sender edits a message', { reason: 'not_sender' });
      }
      if (row.deleted_at !== null || row.status === 'rejected') {
        throw new ParleyError('conflict', 'A deleted or rejected message cannot be edited', {
          reason: row.deleted_at !== null ? 'deleted' : 'rejected',
        });
      }
      if (request.body.trim() === '' && row.attached_file_id.length === 0) {
        throw new ParleyError('validation_failed', 'A message needs text or an attachment', {
          issues: [{ path: 'body', message: 'Empty' }],
        });
      }
      const revision = await this.revisionFor(manager, row);
      const message = toMessage(await this.messages.edit(manager, row.id, request.body, mentions, revision));
      await this.outbox.append(manager, conversationEvents.messageEdited, actor.tenantId, { message });
      return message;
    });
  }

  /**
   * Deletes a message: the sender their own, anyone else with conversation:message:delete-any. It
   * keeps its sequence number and loses its text, so catch-up readers learn of the deletion.
   * Deleting a deleted message changes nothing.
   */
  async delete(actor: Principal, conversationId: string, messageId: string): Promise<Message> {
    const conversation = await this.lookup.get(actor, conversationId);
    return this.dataSource.transaction(async (manager) => {
      const row = await this.existing(manager, conversation, messageId, true);
      if (row.sender_id !== actor.userId) {
        await this.lookup.require(actor, 'conversation:message:delete-any', conversation);
      }
      if (row.deleted_at !== null) {
        return toMessage(row);
      }
      const revision = await this.revisionFor(manager, row);
      const message = toMessage(await this.messages.softDelete(manager, row.id, actor.userId, revision));
      await this.outbox.append(manager, conversationEvents.messageDeleted, actor.tenantId, {
        message,
        deletedById: actor.userId,
      });
      return message;
    });
  }

  /** Published messages, newest first; the cursor is the sequence number to continue below. */
  async history(
    actor: Principal,
    conversationId: string,
    page: Page,
  ): Promise<{ items: MessageView[]; nextCursor: string | null }> {
    const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor, sequenceCursor).s;
    const rows = await this.messages.history(
      this.dataSource,
      this.pageOf(actor, conversationId, page.limit + 1),
      before,
    );
    return this.page(actor, conversationId, rows, page.limit);
  }

  /** Published messages after a sequence number, oldest first: everything a reader missed. */
  async catchUp(
    actor: Principal,
    request: ParsedRequestOf<Requests['catchUp']>,
  ): Promise<ResponseOf<Requests['catchUp']>> {
    const rows = await this.messages.after(
      this.dataSource,
      this.pageOf(actor, request.conversationId, request.limit + 1),
      request.afterSequence,
    );
    const { items } = await this.page(actor, request.conversationId, rows, request.limit);
    return { items, hasMore: rows.length > request.limit };
  }

  /**
   * Published messages up to a sequence number that changed after a revision number, as they are
   * now, in revision order: what a reader who was away missed of the messages they have.
   */
  async changes(
    actor: Principal,
    request: ParsedRequestOf<Requests['changes']>,
  ): Promise<ResponseOf<Requests['changes']>> {
    const changed = await this.messages.changed(
      this.dataSource,
      this.pageOf(actor, request.conversationId, request.limit + 1),
      request.afterRevision,
      request.throughSequence,
    );
    if (changed === undefined) {
      throw new ParleyError('not_found', 'No such conversation', { conversationId: request.conversationId });
    }
    return {
      items: changed.rows.slice(0, request.limit).map(toMessageView),
      hasMore: changed.rows.length > request.limit,
      lastRevision: changed.lastRevision,
      coveredRevision: changed.coveredRevision,
    };
  }

  /** The published replies to a message, oldest first; the cursor is the sequence number to continue after. */
  async listReplies(
    actor: Principal,
    request: ParsedRequestOf<Requests['listReplies']>,
  ): Promise<{ items: MessageView[]; nextCursor: string | null }> {
    const conversation = await this.lookup.get(actor, request.conversationId);
    const manager = this.dataSource.manager;
    await this.existing(manager, conversation, request.messageId);
    const after = request.cursor === undefined ? 0 : decodeCursor(request.cursor, sequenceCursor).s;
    const rows = await this.messages.replies(
      this.dataSource,
      this.pageOf(actor, conversation.id, request.limit + 1),
      request.messageId,
      after,
    );
    return this.page(actor, conversation.id, rows, request.limit);
  }

  /**
   * Moves the actor's read position forward (a read receipt), at most to the latest message; it
   * never moves back. Publishes receipt.updated when it moved.
   */
  async markRead(
    actor: Principal,
    conversationId: string,
    sequence: number,
  ): Promise<ResponseOf<Requests['markRead']>> {
    return this.dataSource.transaction(async (manager) => {
      const conversation = await this.lookup.get(actor, conversationId, manager);
      const target = Math.min(sequence, int(conversation.last_sequence));
      const current = await this.participants.find(manager, conversation.id, actor.userId);
      if (current === undefined || !isLive(current)) {
        throw new ParleyError('not_found', 'Not a participant of this conversation', {
          userId: actor.userId,
        });
      }
      const moved = await this.participants.markRead(manager, conversation.id, actor.userId, target);
      const position = moved ?? current;
      if (moved !== undefined) {
        await this.outbox.append(manager, conversationEvents.receiptUpdated, actor.tenantId, {
          conversationId: conversation.id,
          userId: actor.userId,
          lastReadSequence: target,
          readAt: moved.last_read_at === null ? new Date().toISOString() : iso(moved.last_read_at),
        });
      }
      const lastReadSequence = int(position.last_read_sequence);
      return {
        conversationId: conversation.id,
        lastReadSequence,
        unreadCount: await this.messages.unreadCount(
          manager,
          conversation.id,
          actor.userId,
          lastReadSequence,
        ),
      };
    });
  }

  private queued(actor: Principal, message: NewMessage): QueuedSend {
    const draft: Message = {
      id: assignedLater.id,
      conversationId: message.conversationId,
      sequence: assignedLater.sequence,
      senderId: message.senderId,
      clientMessageId: message.clientMessageId,
      body: message.body,
      replyToId: null,
      mentions: [],
      attachments: [...message.attachments],
      status: 'published',
      rejectionReason: null,
      editedAt: null,
      deletedAt: null,
      createdAt: assignedLater.at,
      publishedAt: assignedLater.at,
      revision: 0,
    };
    return {
      actor,
      context: requestContext.get(),
      message,
      draft,
      event: this.outbox.prepare(conversationEvents.messageCreated, actor.tenantId, { message: draft }),
    };
  }

  /**
   * Publishes a batch of sends into open conversations with one statement. A repeated client
   * message id within the batch (a retry queued with its first attempt) waits for that statement,
   * then finds the first. When the statement fails (a concurrent retry inserted one of the
   * messages, the database went away), nothing was written and each send is tried on its own.
   */
  private async publishOpen(
    sends: readonly QueuedSend[],
  ): Promise<Array<PromiseSettledResult<Message | undefined>>> {
    const keys = new Set<string>();
    const first: QueuedSend[] = [];
    const repeated: number[] = [];
    sends.forEach((send, index) => {
      const key = `${send.message.conversationId} ${send.message.senderId} ${send.message.clientMessageId}`;
      if (keys.has(key)) {
        repeated.push(index);
      } else {
        keys.add(key);
        first.push(send);
      }
    });
    let published;
    try {
      published = await this.messages.publishOpen(this.dataSource, first);
    } catch (error) {
      this.logger.warn(
        { err: error, sends: first.length },
        'A batch of sends failed; sending them one by one',
      );
      return this.publishEachAlone(sends);
    }
    const outcomes = new Map<QueuedSend, Message | undefined>();
    first.forEach((send, index) => {
      const assigned = published[index];
      outcomes.set(
        send,
        assigned === undefined
          ? undefined
          : {
              ...send.draft,
              id: assigned.id,
              sequence: assigned.sequence,
              createdAt: assigned.at,
              publishedAt: assigned.at,
            },
      );
    });
    const repeats = await Promise.allSettled(
      repeated.map((index) => this.publishAlone(sends[index] as QueuedSend)),
    );
    let repeat = 0;
    return sends.map((send, index) =>
      repeated[repeat] === index
        ? (repeats[repeat++] as PromiseSettledResult<Message | undefined>)
        : { status: 'fulfilled', value: outcomes.get(send) },
    );
  }

  /**
   * The sends of a failed batch through the single-message path: conversations side by side, the
   * sends of one conversation one after the other, in the order they arrived.
   */
  private async publishEachAlone(
    sends: readonly QueuedSend[],
  ): Promise<Array<PromiseSettledResult<Message | undefined>>> {
    const outcomes: Array<PromiseSettledResult<Message | undefined>> = [];
    const byConversation = new Map<string, number[]>();
    sends.forEach((send, index) => {
      const indexes = byConversation.get(send.message.conversationId) ?? [];
      indexes.push(index);
      byConversation.set(send.message.conversationId, indexes);
    });
    await Promise.all(
      [...byConversation.values()].map(async (indexes) => {
        for (const index of indexes) {
          const [outcome] = await Promise.allSettled([this.publishAlone(sends[index] as QueuedSend)]);
          outcomes[index] = outcome;
        }
      }),
    );
    return outcomes;
  }

  /** One send of a batch through the single-message path, in its own request's context. */
  private publishAlone(send: QueuedSend): Promise<Message | undefined> {
    const publish = async () => {
      const row = await this.publish(send.actor, send.message, openSettings);
      return row === undefined ? undefined : toMessage(row);
    };
    return send.context === undefined ? publish() : requestContext.run(send.context, publish);
  }

  /**
   * Decides whether the actor may send this message now. Returns the message when it was sent
   * before (a retry); throws the refusal otherwise.
   */
  private async admit(
    actor: Principal,
    conversation: ConversationRow,
    message: NewMessage,
  ): Promise<MessageRow | undefined> {
    try {
      if (conversation.is_restricted) {
        await this.lookup.require(actor, 'conversation:message:send-restricted', conversation);
      }
      requireWritable(conversation);
    } catch (refusal) {
      // A retry of a message accepted before the conversation changed still gets its answer.
      const sent = await this.messages.findByClientMessageId(
        this.dataSource.manager,
        conversation.id,
        actor.userId,
        message.clientMessageId,
      );
      if (sent !== undefined) {
        return sent;
      }
      throw refusal;
    }
    await this.requireParticipants(conversation, message.mentions);
    if (message.replyToId !== null) {
      const parent = await this.messages.find(this.dataSource.manager, conversation.id, message.replyToId);
      if (parent === undefined || parent.sequence === null || parent.deleted_at !== null) {
        throw new ParleyError('not_found', 'No such message to reply to', { replyToId: message.replyToId });
      }
    }
    return undefined;
  }

  /**
   * Publishes the message, or queues it for approval. Undefined when the conversation changed
   * since it was read (the send is decided again).
   */
  private async deliver(
    actor: Principal,
    conversation: ConversationRow,
    message: NewMessage,
  ): Promise<MessageRow | undefined> {
    const queued =
      conversation.requires_approval &&
      !(await this.lookup.can(actor, 'conversation:message:moderate', conversation));
    if (!queued) {
      return this.publish(actor, message, {
        isRestricted: conversation.is_restricted,
        requiresApproval: conversation.requires_approval,
      });
    }
    return this.dataSource.transaction(async (manager) => {
      const pending = await this.messages.insertPending(manager, message);
      if (pending === undefined) {
        return this.sentBefore(manager, message);
      }
      await this.outbox.append(manager, conversationEvents.moderationQueued, actor.tenantId, {
        message: toMessage(pending),
      });
      return pending;
    });
  }

  /**
   * Publishes the message with its event while the conversation's settings are those given; the
   * message sent before with the same client message id when there is one; undefined otherwise.
   */
  private async publish(
    actor: Principal,
    message: NewMessage,
    seen: SeenSettings,
  ): Promise<MessageRow | undefined> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const outcome = await this.messages.publish(manager, message, seen);
        switch (outcome.kind) {
          case 'published':
            await this.outbox.append(manager, conversationEvents.messageCreated, actor.tenantId, {
              message: toMessage(outcome.message),
            });
            return outcome.message;
          case 'raced':
            throw new SendRaced();
          case 'unchanged':
            return this.sentBefore(manager, message);
        }
      });
    } catch (error) {
      if (error instanceof SendRaced) {
        return this.sentBefore(this.dataSource.manager, message);
      }
      throw error;
    }
  }

  private sentBefore(manager: EntityManager, message: NewMessage): Promise<MessageRow | undefined> {
    return this.messages.findByClientMessageId(
      manager,
      message.conversationId,
      message.senderId,
      message.clientMessageId,
    );
  }

  /** Mentions name participants of the conversation. */
  private async requireParticipants(
    conversation: ConversationRow,
    userIds: readonly string[],
  ): Promise<void> {
    if (userIds.length === 0) {
      return;
    }
    const present = await this.participants.liveUserIds(this.dataSource.manager, conversation.id, userIds);
    const absent = userIds.filter((userId) => !present.has(userId));
    if (absent.length > 0) {
      throw new ParleyError('validation_failed', 'Only participants of the conversation can be mentioned', {
        issues: [{ path: 'mentions', message: `Not participants: ${absent.join(', ')}` }],
        userIds: absent,
      });
    }
  }

  private async existing(
    manager: EntityManager,
    conversation: ConversationRow,
    messageId: string,
    lock = false,
  ): Promise<MessageRow> {
    const row = await this.messages.find(manager, conversation.id, messageId, lock);
    if (row === undefined) {
      throw new ParleyError('not_found', 'No such message', { messageId });
    }
    return row;
  }

  /** The revision a change to the message takes: the conversation's next one once it is published. */
  private revisionFor(manager: EntityManager, row: MessageRow): Promise<number | null> {
    return row.sequence === null
      ? Promise.resolve(null)
      : this.messages.nextRevision(manager, row.conversation_id);
  }

  private pageOf(actor: Principal, conversationId: string, limit: number): PageOf {
    return { conversationId, tenantId: actor.tenantId, readerId: actor.userId, limit };
  }

  /**
   * The first `limit` rows as messages, and the cursor after them. A page comes back empty also
   * when the conversation is not one of the actor's tenant: only then is it looked up, to answer
   * `not_found` rather than an empty page.
   */
  private async page(
    actor: Principal,
    conversationId: string,
    rows: MessageViewRow[],
    limit: number,
  ): Promise<{ items: MessageView[]; nextCursor: string | null }> {
    if (rows.length === 0) {
      await this.lookup.get(actor, conversationId);
    }
    const items = rows.slice(0, limit).map(toMessageView);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > limit && last?.sequence != null ? encodeCursor({ s: last.sequence }) : null,
    };
  }
}

function toMessageView(row: MessageViewRow): MessageView {
  return { ...toMessage(row), reactions: row.reactions };
}

/** A read-only conversation accepts no message, whoever sends it: a state, not a permission. */
export function requireWritable(conversation: ConversationRow): void {
  if (conversation.is_read_only) {
    throw new ParleyError('conflict', 'This conversation is read-only', {
      reason: 'read_only',
      conversationId: conversation.id,
    });
  }
}
