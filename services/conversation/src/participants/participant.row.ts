import type { Participant, Standing } from '@parley/contracts';
import { int, iso, isoOrNull, type SqlBigint, type SqlTimestamp } from '../shared/sql-values.js';

/** A row of conversation.participants. */
export interface ParticipantRow {
  conversation_id: string;
  user_id: string;
  tenant_id: string;
  added_by_id: string | null;
  standing: Standing;
  last_read_sequence: SqlBigint;
  joined_at: SqlTimestamp;
  left_at: SqlTimestamp | null;
  expires_at: SqlTimestamp | null;
  mute_expires_at: SqlTimestamp | null;
  last_read_at: SqlTimestamp | null;
}

export function toParticipant(row: ParticipantRow): Participant {
  return {
    conversationId: row.conversation_id,
    userId: row.user_id,
    standing: row.standing,
    joinedAt: iso(row.joined_at),
    addedById: row.added_by_id,
    validUntil: isoOrNull(row.expires_at),
    mutedUntil: isoOrNull(row.mute_expires_at),
    lastReadSequence: int(row.last_read_sequence),
    lastReadAt: isoOrNull(row.last_read_at),
  };
}

/** Takes part now: has not left, and the membership has not ended. */
export function isLive(row: ParticipantRow, now: Date = new Date()): boolean {
  return row.left_at === null && (row.expires_at === null || new Date(row.expires_at) > now);
}

/** The standing a row records, with its end, as a standing change would restore it. */
export function standingOf(row: ParticipantRow): { standing: Standing; validUntil: Date | null } {
  return { standing: row.standing, validUntil: row.expires_at === null ? null : new Date(row.expires_at) };
}
