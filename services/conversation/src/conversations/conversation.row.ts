import type { Conversation, ConversationKind, Visibility } from '@parley/contracts';
import { int, iso, type SqlBigint, type SqlTimestamp } from '../shared/sql-values.js';

/** A row of conversation.conversations. */
export interface ConversationRow {
  id: string;
  tenant_id: string;
  created_by_id: string;
  lower_user_id: string | null;
  higher_user_id: string | null;
  kind: ConversationKind;
  title: string | null;
  topic: string | null;
  visibility: Visibility;
  last_sequence: SqlBigint;
  last_revision: SqlBigint;
  participant_count: number;
  is_restricted: boolean;
  is_read_only: boolean;
  requires_approval: boolean;
  last_activity_at: SqlTimestamp;
  created_at: SqlTimestamp;
  updated_at: SqlTimestamp;
  deleted_at: SqlTimestamp | null;
}

export function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    topic: row.topic,
    visibility: row.visibility,
    isRestricted: row.is_restricted,
    isReadOnly: row.is_read_only,
    requiresApproval: row.requires_approval,
    directUserIds:
      row.lower_user_id !== null && row.higher_user_id !== null
        ? [row.lower_user_id, row.higher_user_id]
        : null,
    createdById: row.created_by_id,
    participantCount: row.participant_count,
    lastSequence: int(row.last_sequence),
    lastRevision: int(row.last_revision),
    lastActivityAt: iso(row.last_activity_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}
