import type { Message, MessageStatus } from '@parley/contracts';
import { int, intOrNull, iso, isoOrNull, type SqlBigint, type SqlTimestamp } from '../shared/sql-values.js';

/** A row of conversation.messages. */
export interface MessageRow {
  id: string;
  conversation_id: string;
  reply_to_id: string | null;
  tenant_id: string;
  sender_id: string;
  deleted_by_id: string | null;
  moderated_by_id: string | null;
  sequence: SqlBigint | null;
  client_message_id: string;
  body: string;
  mentioned_user_id: string[];
  attached_file_id: string[];
  status: MessageStatus;
  rejection_reason: string | null;
  edited_at: SqlTimestamp | null;
  published_at: SqlTimestamp | null;
  moderated_at: SqlTimestamp | null;
  created_at: SqlTimestamp;
  deleted_at: SqlTimestamp | null;
  revision: SqlBigint;
}

/** The columns every message query selects, in the order of MessageRow. */
export const messageColumns = [
  'id',
  'conversation_id',
  'reply_to_id',
  'tenant_id',
  'sender_id',
  'deleted_by_id',
  'moderated_by_id',
  'sequence',
  'client_message_id',
  'body',
  'mentioned_user_id',
  'attached_file_id',
  'status',
  'rejection_reason',
  'edited_at',
  'published_at',
  'moderated_at',
  'created_at',
  'deleted_at',
  'revision',
] as const;

/** `m.id, m.conversation_id, …` for a query that names the table `alias`. */
export function messageSelect(alias: string): string {
  return messageColumns.map((column) => `${alias}.${column}`).join(', ');
}

/** A message as callers see it: once deleted, without its text. */
export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    sequence: intOrNull(row.sequence),
    senderId: row.sender_id,
    clientMessageId: row.client_message_id,
    body: row.deleted_at === null ? row.body : null,
    replyToId: row.reply_to_id,
    mentions: row.deleted_at === null ? row.mentioned_user_id : [],
    attachments: row.deleted_at === null ? row.attached_file_id : [],
    status: row.status,
    rejectionReason: row.rejection_reason,
    editedAt: isoOrNull(row.edited_at),
    deletedAt: isoOrNull(row.deleted_at),
    createdAt: iso(row.created_at),
    publishedAt: isoOrNull(row.published_at),
    revision: int(row.revision),
  };
}
