import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Standing } from '@parley/contracts';
import type { ParticipantRow } from './participant.row.js';
import type { SqlTimestamp } from '../shared/sql-values.js';

export interface Joining {
  conversationId: string;
  tenantId: string;
  userId: string;
  standing: Standing;
  addedById: string | null;
  expiresAt: Date | null;
  /** Where the read position starts: messages before it are not unread to a newcomer. */
  lastReadSequence: number;
}

/** Live: has not left, and the membership has not ended. */
const live = `left_at IS NULL AND (expires_at IS NULL OR expires_at > now())`;

/** Participants of conversations. Callers have resolved the conversation in the actor's tenant. */
@Injectable()
export class ParticipantsRepository {
  /** The row of a user in a conversation, live or not, locked when `lock` is set. */
  async find(
    manager: EntityManager,
    conversationId: string,
    userId: string,
    lock = false,
  ): Promise<ParticipantRow | undefined> {
    const rows: ParticipantRow[] = await manager.query(
      `SELECT * FROM conversation.participants WHERE conversation_id = $1 AND user_id = $2
       ${lock ? 'FOR UPDATE' : ''}`,
      [conversationId, userId],
    );
    return rows[0];
  }

  /** The rows of some users in a conversation, live or not, locked for the transaction. */
  lockMany(
    manager: EntityManager,
    conversationId: string,
    userIds: readonly string[],
  ): Promise<ParticipantRow[]> {
    return manager.query(
      `SELECT * FROM conversation.participants WHERE conversation_id = $1 AND user_id = ANY($2::uuid[])
       ORDER BY user_id FOR UPDATE`,
      [conversationId, userIds],
    );
  }

  /** Which of the users take part in the conversation now. */
  async liveUserIds(
    manager: EntityManager,
    conversationId: string,
    userIds: readonly string[],
  ): Promise<Set<string>> {
    const rows: Array<{ user_id: string }> = await manager.query(
      `SELECT user_id FROM conversation.participants
       WHERE conversation_id = $1 AND user_id = ANY($2::uuid[]) AND ${live}`,
      [conversationId, userIds],
    );
    return new Set(rows.map((row) => row.user_id));
  }

  /**
   * Makes the user a participant: a new row, or the user's earlier row taken up again (after
   * leaving, or renewed after the membership ended).
   */
  async join(manager: EntityManager, joining: Joining): Promise<ParticipantRow> {
    const rows: ParticipantRow[] = await manager.query(
      `INSERT INTO conversation.participants
         (conversation_id, user_id, tenant_id, added_by_id, standing, last_read_sequence, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET
         added_by_id = EXCLUDED.added_by_id, standing = EXCLUDED.standing, expires_at = EXCLUDED.expires_at,
         last_read_sequence = GREATEST(participants.last_read_sequence, EXCLUDED.last_read_sequence),
         joined_at = now(), left_at = NULL, mute_expires_at = NULL
       RETURNING *`,
      [
        joining.conversationId,
        joining.userId,
        joining.tenantId,
        joining.addedById,
        joining.standing,
        joining.lastReadSequence,
        joining.expiresAt,
      ],
    );
    return rows[0] as ParticipantRow;
  }

  async leave(manager: EntityManager, conversationId: string, userId: string): Promise<SqlTimestamp> {
    const rows: [Array<{ left_at: SqlTimestamp }>, number] = await manager.query(
      `UPDATE conversation.participants SET left_at = now()
       WHERE conversation_id = $1 AND user_id = $2 RETURNING left_at`,
      [conversationId, userId],
    );
    return (rows[0][0] as { left_at: SqlTimestamp }).left_at;
  }

  async setStanding(
    manager: EntityManager,
    conversationId: string,
    userId: string,
    standing: Standing,
    expiresAt: Date | null,
  ): Promise<ParticipantRow> {
    const rows: [ParticipantRow[], number] = await manager.query(
      `UPDATE conversation.participants SET standing = $3, expires_at = $4
       WHERE conversation_id = $1 AND user_id = $2 RETURNING *`,
      [conversationId, userId, standing, expiresAt],
    );
    return rows[0][0] as ParticipantRow;
  }

  async mute(
    manager: EntityManager,
    conversationId: string,
    userId: string,
    until: Date | null,
  ): Promise<ParticipantRow> {
    const rows: [ParticipantRow[], number] = await manager.query(
      `UPDATE conversation.participants SET mute_expires_at = $3
       WHERE conversation_id = $1 AND user_id = $2 RETURNING *`,
      [conversationId, userId, until],
    );
    return rows[0][0] as ParticipantRow;
  }

  /** Moves the read position forward (never back); the row after the move, or undefined when it stayed. */
  async markRead(
    manager: EntityManager,
    conversationId: string,
    userId: string,
    sequence: number,
  ): Promise<ParticipantRow | undefined> {
    const rows: [ParticipantRow[], number] = await manager.query(
      `UPDATE conversation.participants SET last_read_sequence = $3, last_read_at = now()
       WHERE conversation_id = $1 AND user_id = $2 AND last_read_sequence < $3 RETURNING *`,
      [conversationId, userId, sequence],
    );
    return rows[0][0];
  }

  /** Live owners of the conversation other than `exceptUserId`. */
  async otherOwners(manager: EntityManager, conversationId: string, exceptUserId: string): Promise<number> {
    const rows: Array<{ count: number }> = await manager.query(
      `SELECT count(*)::integer AS count FROM conversation.participants
       WHERE conversation_id = $1 AND user_id <> $2 AND standing = 'owner' AND ${live}`,
      [conversationId, exceptUserId],
    );
    return rows[0]?.count ?? 0;
  }

  /** Live participants in user id order, after a user id. */
  list(
    manager: EntityManager,
    conversationId: string,
    limit: number,
    afterUserId: string | undefined,
  ): Promise<ParticipantRow[]> {
    return manager.query(
      `SELECT * FROM conversation.participants
       WHERE conversation_id = $1 AND ${live} AND ($2::uuid IS NULL OR user_id > $2::uuid)
       ORDER BY user_id LIMIT $3`,
      [conversationId, afterUserId ?? null, limit],
    );
  }
}
