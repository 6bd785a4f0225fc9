import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Visibility } from '@parley/contracts';
import type { MessageRow } from '../messages/message.row.js';
import type { ParticipantRow } from '../participants/participant.row.js';
import type { ConversationRow } from './conversation.row.js';
import type { SqlTimestamp } from '../shared/sql-values.js';

export interface NewGroup {
  tenantId: string;
  createdById: string;
  title: string;
  topic: string | null;
  visibility: Visibility;
  isRestricted: boolean;
  isReadOnly: boolean;
  requiresApproval: boolean;
  participantCount: number;
}

/** Settings of a group that an update may change; absent keys stay as they are. */
export interface GroupChanges {
  title?: string;
  topic?: string | null;
  visibility?: Visibility;
  isRestricted?: boolean;
  isReadOnly?: boolean;
  requiresApproval?: boolean;
}

const changeColumns: Record<keyof GroupChanges, string> = {
  title: 'title',
  topic: 'topic',
  visibility: 'visibility',
  isRestricted: 'is_restricted',
  isReadOnly: 'is_read_only',
  requiresApproval: 'requires_approval',
};

/** One of the caller's conversations with what the conversation list shows beside it. */
export interface SummaryRow {
  conversation: ConversationRow;
  participant: ParticipantRow;
  last_message: MessageRow | null;
  unread_count: number;
  activity_key: string;
}

export interface DiscoveredRow {
  conversation: ConversationRow;
  is_participant: boolean;
  title_key: string;
}

/** Unread counts stop here: a list shows "1,000+" rather than counting a long backlog. */
export const unreadCountCap = 1000;

/** Conversations. Every method is scoped to a tenant and skips deleted conversations. */
@Injectable()
export class ConversationsRepository {
  async find(manager: EntityManager, tenantId: string, id: string): Promise<ConversationRow | undefined> {
    const rows: ConversationRow[] = await manager.query(
      `SELECT * FROM conversation.conversations WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL`,
      [id, tenantId],
    );
    return rows[0];
  }

  /** The conversation, locked until the transaction ends: participant changes take turns. */
  async lock(manager: EntityManager, tenantId: string, id: string): Promise<ConversationRow | undefined> {
    const rows: ConversationRow[] = await manager.query(
      `SELECT * FROM conversation.conversations
       WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR UPDATE`,
      [id, tenantId],
    );
    return rows[0];
  }

  async findDirect(
    manager: EntityManager,
    tenantId: string,
    lowerUserId: string,
    higherUserId: string,
  ): Promise<ConversationRow | undefined> {
    const rows: ConversationRow[] = await manager.query(
      `SELECT * FROM conversation.conversations
       WHERE tenant_id = $1 AND lower_user_id = $2 AND higher_user_id = $3`,
      [tenantId, lowerUserId, higherUserId],
    );
    return rows[0];
  }

  /**
   * The direct conversation of a pair, inserted unless it exists. A concurrent insert of the same
   * pair waits for the other transaction to commit and then inserts nothing; the row the other
   * committed is then read (READ COMMITTED: a new statement sees it), so exactly one exists.
   */
  async getOrInsertDirect(
    manager: EntityManager,
    tenantId: string,
    createdById: string,
    lowerUserId: string,
    higherUserId: string,
  ): Promise<{ row: ConversationRow; created: boolean }> {
    const inserted: ConversationRow[] = await manager.query(
      `INSERT INTO conversation.conversations
         (tenant_id, created_by_id, lower_user_id, higher_user_id, kind, visibility, participant_count)
       VALUES ($1, $2, $3, $4, 'direct', 'private', 2)
       ON CONFLICT (tenant_id, lower_user_id, higher_user_id) DO NOTHING
       RETURNING *`,
      [tenantId, createdById, lowerUserId, higherUserId],
    );
    const row = inserted[0];
    if (row !== undefined) {
      return { row, created: true };
    }
    const existing = await this.findDirect(manager, tenantId, lowerUserId, higherUserId);
    // Nothing was inserted only because this pair's row exists and is committed.
    return { row: existing as ConversationRow, created: false };
  }

  async insertGroup(manager: EntityManager, group: NewGroup): Promise<ConversationRow> {
    const rows: ConversationRow[] = await manager.query(
      `INSERT INTO conversation.conversations
         (tenant_id, created_by_id, kind, title, topic, visibility, participant_count,
          is_restricted, is_read_only, requires_approval)
       VALUES ($1, $2, 'group', $3, $4, $5, $6, $7, $8, $9)
       RETURNING *`,
      [
        group.tenantId,
        group.createdById,
        group.title,
        group.topic,
        group.visibility,
        group.participantCount,
        group.isRestricted,
        group.isReadOnly,
        group.requiresApproval,
      ],
    );
    return rows[0] as ConversationRow;
  }

  async update(manager: EntityManager, id: string, changes: GroupChanges): Promise<ConversationRow> {
    const values: unknown[] = [id];
    const assignments = Object.entries(changes).map(([key, value]) => {
      values.push(value);
      return `${changeColumns[key as keyof GroupChanges]} = $${values.length}`;
    });
    const rows: [ConversationRow[], number] = await manager.query(
      `UPDATE conversation.conversations SET ${assignments.join(', ')} WHERE id = $1 RETURNING *`,
      values,
    );
    return rows[0][0] as ConversationRow;
  }

  async addParticipantCount(manager: EntityManager, id: string, delta: number): Promise<void> {
    if (delta !== 0) {
      await manager.query(
        `UPDATE conversation.conversations SET participant_count = participant_count + $2 WHERE id = $1`,
        [id, delta],
      );
    }
  }

  async softDelete(manager: EntityManager, id: string): Promise<SqlTimestamp> {
    const rows: [Array<{ deleted_at: SqlTimestamp }>, number] = await manager.query(
      `UPDATE conversation.conversations SET deleted_at = now() WHERE id = $1 RETURNING deleted_at`,
      [id],
    );
    return (rows[0][0] as { deleted_at: SqlTimestamp }).deleted_at;
  }

  /**
   * The conversations a user takes part in, latest activity first, after a position of the same
   * order (`activity_key` and id of the last row of the previous page).
   */
  listMine(
    manager: EntityManager,
    tenantId: string,
    userId: string,
    limit: number,
    after: { activityKey: string; id: string } | undefined,
  ): Promise<SummaryRow[]> {
    return manager.query(
      `SELECT to_jsonb(c) AS conversation, to_jsonb(p) AS participant, to_jsonb(lm) AS last_message,
              unread.count AS unread_count, c.last_activity_at::text AS activity_key
       FROM conversation.participants p
       JOIN conversation.conversations c ON c.id = p.conversation_id AND c.deleted_at IS NULL
       LEFT JOIN LATERAL (
         SELECT m.* FROM conversation.messages m
         WHERE m.conversation_id = c.id AND m.sequence IS NOT NULL AND m.deleted_at IS NULL
         ORDER BY m.sequence DESC LIMIT 1
       ) lm ON true
       CROSS JOIN LATERAL (
         SELECT count(*)::integer AS count FROM (
           SELECT 1 FROM conversation.messages u
           WHERE u.conversation_id = c.id AND u.sequence > p.last_read_sequence
             AND u.deleted_at IS NULL AND u.sender_id <> p.user_id
           LIMIT ${unreadCountCap}
         ) backlog
       ) unread
       WHERE p.tenant_id = $1 AND p.user_id = $2 AND p.left_at IS NULL
         AND (p.expires_at IS NULL OR p.expires_at > now())
         AND ($3::timestamptz IS NULL OR (c.last_activity_at, c.id) < ($3::timestamptz, $4::uuid))
       ORDER BY c.last_activity_at DESC, c.id DESC
       LIMIT $5`,
      [tenantId, userId, after?.activityKey ?? null, after?.id ?? null, limit],
    );
  }

  /** Listed groups (public and private) whose title starts with `prefix`, in title order. */
  discover(
    manager: EntityManager,
    tenantId: string,
    userId: string,
    prefix: string,
    limit: number,
    after: { titleKey: string; id: string } | undefined,
  ): Promise<DiscoveredRow[]> {
    const pattern = `${prefix.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    return manager.query(
      `SELECT to_jsonb(c) AS conversation, lower(c.title) AS title_key,
              EXISTS (
                SELECT 1 FROM conversation.participants p
                WHERE p.conversation_id = c.id AND p.user_id = $2 AND p.left_at IS NULL
                  AND (p.expires_at IS NULL OR p.expires_at > now())
              ) AS is_participant
       FROM conversation.conversations c
       WHERE c.tenant_id = $1 AND c.kind = 'group' AND c.visibility <> 'hidden' AND c.deleted_at IS NULL
         AND lower(c.title) LIKE $3
         AND ($4::text IS NULL OR (lower(c.title), c.id) > ($4::text, $5::uuid))
       ORDER BY lower(c.title), c.id
       LIMIT $6`,
      [tenantId, userId, pattern, after?.titleKey ?? null, after?.id ?? null, limit],
    );
  }
}
