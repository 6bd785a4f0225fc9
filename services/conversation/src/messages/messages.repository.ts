import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { runPrepared, type PreparedEvent, type PreparedStatement } from '@parley/db';
import { unreadCountCap } from '../conversations/conversations.repository.js';
import { messageSelect, type MessageRow } from './message.row.js';
import type { ReactionSummary } from './reactions.repository.js';

export interface NewMessage {
  conversationId: string;
  tenantId: string;
  senderId: string;
  clientMessageId: string;
  body: string;
  replyToId: string | null;
  mentions: readonly string[];
  attachments: readonly string[];
}

/** The settings a send was decided on; publishing proceeds only while they still hold. */
export interface SeenSettings {
  isRestricted: boolean;
  requiresApproval: boolean;
}

/**
 * What an attempt to publish did: `published` the new row; `unchanged` nothing at all (the message
 * was sent before, or the conversation changed since it was read); `raced` a sequence number was
 * taken while a concurrent retry inserted the message, so the transaction must be rolled back.
 */
export type PublishOutcome =
  { kind: 'published'; message: MessageRow } | { kind: 'unchanged' } | { kind: 'raced' };

type PublishRow = MessageRow & { taken: string | null };

/** A message for an open conversation (no mentions, no reply) with its message.created event. */
export interface OpenSend {
  message: NewMessage;
  /** Prepared with placeholders for the message's id, sequence and times, which the statement fills in. */
  event: PreparedEvent;
}

/** What publishing an open send assigned: the message id, its sequence number and its time. */
export interface Published {
  id: string;
  sequence: number;
  /** published_at and created_at as the events carry it (ISO 8601, milliseconds, UTC). */
  at: string;
}

/** A message with its reactions as one reader sees them. */
export type MessageViewRow = MessageRow & { reactions: ReactionSummary[] };

/** Which page a reader asks for: conversation, the reader's tenant and id, and the page size. */
export interface PageOf {
  conversationId: string;
  tenantId: string;
  readerId: string;
  limit: number;
}

const columns = messageSelect('m');

/** `r.reactions` of message `m`: emoji, count, whether reader $3 used it, in order of first use. */
const reactionsJoin = `LEFT JOIN LATERAL (
         SELECT jsonb_agg(
                  jsonb_build_object('emoji', x.emoji, 'count', x.count, 'reactedByMe', x.mine)
                  ORDER BY x.first_at, x.emoji) AS reactions
         FROM (
           SELECT emoji, count(*)::integer AS count, bool_or(user_id = $3) AS mine, min(created_at) AS first_at
           FROM conversation.reactions WHERE message_id = m.id GROUP BY emoji
         ) x
       ) r ON true`;

/** The statement behind MessagesRepository.publishOpen. */
const publishOpenStatement: PreparedStatement = {
  name: 'conversation-publish-open',
  text: `WITH input AS (
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                          $7::text[], $8::text[], $9::text[], $10::text[])
       WITH ORDINALITY
       AS i(conversation_id, tenant_id, sender_id, client_message_id, body, attached,
            subject, event_type, payload, headers, ord)
   ), clock AS (
     SELECT date_trunc('milliseconds', now()) AS at
   ), fresh AS (
     SELECT i.* FROM input i
     WHERE NOT EXISTS (
       SELECT 1 FROM conversation.messages d
       WHERE d.conversation_id = i.conversation_id AND d.sender_id = i.sender_id
         AND d.client_message_id = i.client_message_id
     )
   ), locked AS (
     SELECT c.id FROM conversation.conversations c
     WHERE c.id IN (SELECT conversation_id FROM fresh)
     ORDER BY c.id
     FOR UPDATE
   ), next AS (
     UPDATE conversation.conversations c
        SET last_sequence = c.last_sequence + n.sends, last_activity_at = now()
       FROM (SELECT conversation_id, tenant_id, count(*) AS sends FROM fresh GROUP BY 1, 2) n
      WHERE c.id = n.conversation_id AND c.tenant_id = n.tenant_id
        AND c.id IN (SELECT id FROM locked)
        AND c.deleted_at IS NULL AND NOT c.is_read_only AND NOT c.is_restricted
        AND NOT c.requires_approval
      RETURNING c.id, c.tenant_id, c.last_sequence - n.sends AS base, c.last_revision
   ), numbered AS (
     SELECT f.*, nx.base + row_number() OVER (PARTITION BY f.conversation_id ORDER BY f.ord) AS sequence,
            nx.last_revision AS published_revision
     FROM fresh f JOIN next nx ON nx.id = f.conversation_id AND nx.tenant_id = f.tenant_id
   ), inserted AS (
     INSERT INTO conversation.messages
       (conversation_id, tenant_id, sender_id, client_message_id, body, attached_file_id, status,
        sequence, published_revision, published_at, created_at)
     SELECT n.conversation_id, n.tenant_id, n.sender_id, n.client_message_id, n.body,
            n.attached::uuid[], 'published', n.sequence, n.published_revision, clock.at, clock.at
     FROM numbered n, clock
     ORDER BY n.conversation_id, n.sequence
     RETURNING id, conversation_id, sequence
   ), readers AS (
     UPDATE conversation.participants p
        SET last_read_sequence = r.sequence, last_read_at = (SELECT at FROM clock)
       FROM (SELECT conversation_id, sender_id, max(sequence) AS sequence FROM numbered GROUP BY 1, 2) r
      WHERE p.conversation_id = r.conversation_id AND p.user_id = r.sender_id
        AND p.last_read_sequence < r.sequence
   ), published AS (
     SELECT n.ord, m.id, m.sequence, n.subject, n.event_type, n.payload, n.headers, n.tenant_id,
            to_char(clock.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
     FROM inserted m
     JOIN numbered n ON n.conversation_id = m.conversation_id AND n.sequence = m.sequence
     CROSS JOIN clock
   ), events AS (
     INSERT INTO conversation.outbox_events (tenant_id, subject, event_type, payload, headers)
     SELECT p.tenant_id, p.subject, p.event_type,
            jsonb_set(p.payload::jsonb, '{message}', (p.payload::jsonb -> 'message') || jsonb_build_object(
              'id', p.id, 'sequence', p.sequence, 'createdAt', p.at, 'publishedAt', p.at)),
            p.headers::jsonb
     FROM published p
     ORDER BY p.ord
   )
   SELECT ord::text, id, sequence::text, at FROM published`,
};

/** Messages. Callers have resolved the conversation in the actor's tenant. */
@Injectable()
export class MessagesRepository {
  /**
   * Publishes a message in one statement: takes the conversation's next sequence number (the
   * row lock makes concurrent sends in one conversation take turns, so numbers are unique and,
   * as a rolled-back send also returns its number, gapless), inserts the message and moves the
   * sender's read position to it. Nothing happens when the sender already sent this client
   * message id, when the conversation became read-only or deleted, or when its restricted and
   * approval settings are no longer those the send was decided on.
   */
  async publish(manager: EntityManager, message: NewMessage, seen: SeenSettings): Promise<PublishOutcome> {
    const rows: PublishRow[] = await manager.query(
      `WITH next AS (
         UPDATE conversation.conversations
            SET last_sequence = last_sequence + 1, last_activity_at = now()
          WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL AND NOT is_read_only
            AND is_restricted = $9 AND requires_approval = $10
            AND NOT EXISTS (
              SELECT 1 FROM conversation.messages d
              WHERE d.conversation_id = $1 AND d.sender_id = $3 AND d.client_message_id = $4
            )
          RETURNING last_sequence, last_revision, last_activity_at
       ), inserted AS (
         INSERT INTO conversation.messages
           (conversation_id, tenant_id, sender_id, client_message_id, body, reply_to_id,
            mentioned_user_id, attached_file_id, status, sequence, published_revision, published_at,
            created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7::uuid[], $8::uuid[], 'published',
                next.last_sequence, next.last_revision, next.last_activity_at, next.last_activity_at
         FROM next
         ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING
         RETURNING *
       ), reader AS (
         UPDATE conversation.participants p
            SET last_read_sequence = i.sequence, last_read_at = i.published_at
           FROM inserted i
          WHERE p.conversation_id = i.conversation_id AND p.user_id = i.sender_id
            AND p.last_read_sequence < i.sequence
         RETURNING 1
       )
       SELECT (SELECT last_sequence FROM next)::text AS taken, ${columns}
       FROM (SELECT 1) AS one LEFT JOIN inserted m ON true`,
      [
        message.conversationId,
        message.tenantId,
        message.senderId,
        message.clientMessageId,
        message.body,
        message.replyToId,
        message.mentions,
        message.attachments,
        seen.isRestricted,
        seen.requiresApproval,
      ],
    );
    const row = rows[0] as PublishRow;
    if (row.id !== null) {
      const { taken: _taken, ...published } = row;
      return { kind: 'published', message: published };
    }
    return row.taken === null ? { kind: 'unchanged' } : { kind: 'raced' };
  }

  /**
   * Publishes many sends in one statement, which is its own transaction: one commit for all of
   * them. For each send into a conversation of the sender's tenant that is open (not deleted,
   * read-only, restricted or moderated) and that the sender did not send before, it takes the
   * next sequence number in arrival order, inserts the message, moves the sender's read position
   * and inserts the event with the id, sequence number and time filled in. The conversations are
   * locked in id order first, so statements that share conversations take turns instead of
   * deadlocking. The other sends are left out (undefined): the caller decides them one by one.
   * A send whose client message id is inserted concurrently makes the whole statement fail with
   * a unique violation, and nothing is written.
   */
  async publishOpen(
    dataSource: DataSource,
    sends: readonly OpenSend[],
  ): Promise<Array<Published | undefined>> {
    const column = <T>(pick: (send: OpenSend) => T): T[] => sends.map(pick);
    const rows = await runPrepared<{ ord: string; id: string; sequence: string; at: string }>(
      dataSource,
      publishOpenStatement,
      [
        column((send) => send.message.conversationId),
        column((send) => send.message.tenantId),
        column((send) => send.message.senderId),
        column((send) => send.message.clientMessageId),
        column((send) => send.message.body),
        column((send) => `{${send.message.attachments.join(',')}}`),
        column((send) => send.event.subject),
        column((send) => send.event.eventType),
        column((send) => send.event.payload),
        column((send) => send.event.headers),
      ],
    );
    const published: Array<Published | undefined> = sends.map(() => undefined);
    for (const row of rows) {
      published[Number(row.ord) - 1] = { id: row.id, sequence: Number(row.sequence), at: row.at };
    }
    return published;
  }

  /** Puts a message in the moderation queue; undefined when the sender already sent this one. */
  async insertPending(manager: EntityManager, message: NewMessage): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await manager.query(
      `INSERT INTO conversation.messages AS m
         (conversation_id, tenant_id, sender_id, client_message_id, body, reply_to_id,
          mentioned_user_id, attached_file_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8::uuid[], 'pending')
       ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING
       RETURNING ${columns}`,
      [
        message.conversationId,
        message.tenantId,
        message.senderId,
        message.clientMessageId,
        message.body,
        message.replyToId,
        message.mentions,
        message.attachments,
      ],
    );
    return rows[0];
  }

  async findByClientMessageId(
    manager: EntityManager,
    conversationId: string,
    senderId: string,
    clientMessageId: string,
  ): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await manager.query(
      `SELECT ${columns} FROM conversation.messages m
       WHERE m.conversation_id = $1 AND m.sender_id = $2 AND m.client_message_id = $3`,
      [conversationId, senderId, clientMessageId],
    );
    return rows[0];
  }

  /**
   * A message of the conversation, locked until the transaction ends when `lock` is set: against
   * other changes, not against a reply's reference to it (FOR NO KEY UPDATE), so that a reply,
   * which locks the conversation first, never waits for a change that waits for the conversation.
   */
  async find(
    manager: EntityManager,
    conversationId: string,
    messageId: string,
    lock = false,
  ): Promise<MessageRow | undefined> {
    const rows: MessageRow[] = await manager.query(
      `SELECT ${columns} FROM conversation.messages m WHERE m.conversation_id = $1 AND m.id = $2
       ${lock ? 'FOR NO KEY UPDATE' : ''}`,
      [conversationId, messageId],
    );
    return rows[0];
  }

  /**
   * Published messages before a sequence number (all when undefined), newest first, each with its
   * reactions as `reader` sees them.
   */
  history(
    dataSource: DataSource,
    page: PageOf,
    beforeSequence: number | undefined,
  ): Promise<MessageViewRow[]> {
    // Two statements, so that each prepared plan reads the index from the right place.
    return beforeSequence === undefined
      ? this.readPage(dataSource, 'latest', page, 'm.sequence IS NOT NULL', 'DESC', [])
      : this.readPage(dataSource, 'before', page, 'm.sequence < $5', 'DESC', [beforeSequence]);
  }

  /** Published messages after a sequence number, oldest first, with their reactions. */
  after(dataSource: DataSource, page: PageOf, afterSequence: number): Promise<MessageViewRow[]> {
    return this.readPage(dataSource, 'after', page, 'm.sequence > $5', 'ASC', [afterSequence]);
  }

  /** Published replies to a message after a sequence number, oldest first, with their reactions. */
  replies(
    dataSource: DataSource,
    page: PageOf,
    parentId: string,
    afterSequence: number,
  ): Promise<MessageViewRow[]> {
    return this.readPage(dataSource, 'replies', page, 'm.reply_to_id = $5 AND m.sequence > $6', 'ASC', [
      parentId,
      afterSequence,
    ]);
  }

  /** The moderation queue, oldest first, after a message id. */
  pending(
    manager: EntityManager,
    conversationId: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<MessageRow[]> {
    return manager.query(
      `SELECT ${columns} FROM conversation.messages m
       WHERE m.conversation_id = $1 AND m.status = 'pending' AND ($2::uuid IS NULL OR m.id > $2::uuid)
       ORDER BY m.id LIMIT $3`,
      [conversationId, afterId ?? null, limit],
    );
  }

  /**
   * Takes the conversation's next revision number for a change to one of its published messages.
   * The conversation's row stays locked until the transaction ends, so changes take turns and
   * their numbers, like sequence numbers, have no gaps. Callers lock the message first.
   */
  async nextRevision(manager: EntityManager, conversationId: string): Promise<number> {
    const rows: [Array<{ last_revision: string }>, number] = await manager.query(
      `UPDATE conversation.conversations SET last_revision = last_revision + 1
        WHERE id = $1 RETURNING last_revision`,
      [conversationId],
    );
    return Number((rows[0][0] as { last_revision: string }).last_revision);
  }

  /** `revision`: the one the edit took, or null for a message not published (it keeps its own). */
  async edit(
    manager: EntityManager,
    messageId: string,
    body: string,
    mentions: readonly string[],
    revision: number | null,
  ): Promise<MessageRow> {
    return this.updateOne(
      manager,
      `SET body = $2, mentioned_user_id = $3::uuid[], edited_at = now(), revision = COALESCE($4, m.revision)`,
      [messageId, body, mentions, revision],
    );
  }

  /** `revision`: the one the deletion took, or null for a message not published. */
  async softDelete(
    manager: EntityManager,
    messageId: string,
    deletedById: string,
    revision: number | null,
  ): Promise<MessageRow> {
    return this.updateOne(
      manager,
      `SET deleted_at = now(), deleted_by_id = $2, revision = COALESCE($3, m.revision)`,
      [messageId, deletedById, revision],
    );
  }

  /**
   * A change of the message's reactions: takes the conversation's next revision number (as
   * `nextRevision` does) and records it on the message, in one statement. Callers lock the message
   * first.
   */
  async revise(manager: EntityManager, conversationId: string, messageId: string): Promise<number> {
    const rows: [Array<{ revision: string }>, number] = await manager.query(
      `WITH next AS (
         UPDATE conversation.conversations SET last_revision = last_revision + 1
          WHERE id = $1 RETURNING last_revision
       )
       UPDATE conversation.messages m SET revision = next.last_revision
         FROM next WHERE m.id = $2 RETURNING m.revision`,
      [conversationId, messageId],
    );
    return Number((rows[0][0] as { revision: string }).revision);
  }

  /**
   * Published messages up to a sequence number that changed after a revision number, in revision
   * order, each with its reactions as `reader` sees them; with, read in the same snapshot, the
   * conversation's latest revision number and the covered one: every change up to it concerns
   * messages up to `throughSequence`. That is the revision the message after `throughSequence` was
   * published at (changes to it and to later messages take higher ones), or the latest when none
   * came after. No rows at all when the conversation is not a live one of the reader's tenant.
   */
  async changed(
    dataSource: DataSource,
    page: PageOf,
    afterRevision: number,
    throughSequence: number,
  ): Promise<{ rows: MessageViewRow[]; lastRevision: number; coveredRevision: number } | undefined> {
    const rows = await runPrepared<
      Partial<MessageViewRow> & { last_revision: string; covered_revision: string }
    >(
      dataSource,
      {
        name: 'conversation-page-changed',
        text: `SELECT c.last_revision::text AS last_revision,
              COALESCE(
                (SELECT n.published_revision FROM conversation.messages n
                 WHERE n.conversation_id = c.id AND n.sequence = $6 + 1),
                c.last_revision
              )::text AS covered_revision,
              x.*
       FROM conversation.conversations c
       LEFT JOIN LATERAL (
         SELECT ${columns}, COALESCE(r.reactions, '[]'::jsonb) AS reactions
         FROM conversation.messages m
         ${reactionsJoin}
         WHERE m.conversation_id = c.id AND m.revision > 0 AND m.revision > $5 AND m.sequence <= $6
         ORDER BY m.revision LIMIT $4
       ) x ON true
       WHERE c.id = $1 AND c.tenant_id = $2 AND c.deleted_at IS NULL
       ORDER BY x.revision`,
      },
      [page.conversationId, page.tenantId, page.readerId, page.limit, afterRevision, throughSequence],
    );
    const first = rows[0];
    if (first === undefined) {
      return undefined;
    }
    const changed = rows
      .filter((row) => row.id !== null)
      .map(({ last_revision: _last, covered_revision: _covered, ...row }) => row);
    return {
      rows: changed as MessageViewRow[],
      lastRevision: Number(first.last_revision),
      coveredRevision: Number(first.covered_revision),
    };
  }

  /** Publishes a waiting message with the next sequence number of its conversation. */
  async approve(manager: EntityManager, message: MessageRow, moderatorId: string): Promise<MessageRow> {
    const next: [Array<{ last_sequence: string; last_revision: string }>, number] = await manager.query(
      `UPDATE conversation.conversations
          SET last_sequence = last_sequence + 1, last_activity_at = now()
        WHERE id = $1 RETURNING last_sequence, last_revision`,
      [message.conversation_id],
    );
    const taken = next[0][0] as { last_sequence: string; last_revision: string };
    return this.updateOne(
      manager,
      `SET status = 'published', sequence = $2, published_revision = $4, published_at = now(),
           moderated_by_id = $3, moderated_at = now()`,
      [message.id, taken.last_sequence, moderatorId, taken.last_revision],
    );
  }

  async reject(
    manager: EntityManager,
    messageId: string,
    moderatorId: string,
    reason: string | null,
  ): Promise<MessageRow> {
    return this.updateOne(
      manager,
      `SET status = 'rejected', rejection_reason = $3, moderated_by_id = $2, moderated_at = now()`,
      [messageId, moderatorId, reason],
    );
  }

  /** Live messages of others after a read position, counted up to the cap. */
  async unreadCount(
    manager: EntityManager,
    conversationId: string,
    userId: string,
    afterSequence: number,
  ): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::integer AS count FROM (
         SELECT 1 FROM conversation.messages m
         WHERE m.conversation_id = $1 AND m.sequence > $3 AND m.deleted_at IS NULL AND m.sender_id <> $2
         LIMIT ${unreadCountCap}
       ) backlog`,
      [conversationId, userId, afterSequence],
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * One page of messages in one statement: the rows, their reactions (emoji, count, whether the
   * reader is among those who used it, in the order the emoji were first used), and the check
   * that the conversation is a live one of the reader's tenant. Parameters: $1 conversation,
   * $2 tenant, $3 reader, $4 limit, then `values`.
   */
  /** A page of messages with reactions; `variant` names the prepared statement of `where` and `order`. */
  private readPage(
    dataSource: DataSource,
    variant: 'latest' | 'before' | 'after' | 'replies',
    page: PageOf,
    where: string,
    order: 'ASC' | 'DESC',
    values: unknown[],
  ): Promise<MessageViewRow[]> {
    return runPrepared<MessageViewRow>(
      dataSource,
      {
        name: `conversation-page-${variant}`,
        text: `SELECT ${columns}, COALESCE(r.reactions, '[]'::jsonb) AS reactions
       FROM conversation.messages m
       ${reactionsJoin}
       WHERE m.conversation_id = $1 AND ${where}
         AND EXISTS (
           SELECT 1 FROM conversation.conversations c
           WHERE c.id = $1 AND c.tenant_id = $2 AND c.deleted_at IS NULL
         )
       ORDER BY m.sequence ${order} LIMIT $4`,
      },
      [page.conversationId, page.tenantId, page.readerId, page.limit, ...values],
    );
  }

  private async updateOne(manager: EntityManager, set: string, values: unknown[]): Promise<MessageRow> {
    const rows: [MessageRow[], number] = await manager.query(
      `UPDATE conversation.messages AS m ${set} WHERE m.id = $1 RETURNING ${columns}`,
      values,
    );
    return rows[0][0] as MessageRow;
  }
}
