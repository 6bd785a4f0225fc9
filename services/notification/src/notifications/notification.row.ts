import type { Notification, NotificationPriority, NotificationStatus } from '@parley/contracts';
import { iso, isoOrNull, type SqlTimestamp } from '../shared/sql-values.js';

/** A row of notification.notifications. */
export interface NotificationRow {
  id: string;
  tenant_id: string;
  recipient_id: string;
  actor_id: string | null;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  priority: NotificationPriority;
  status: NotificationStatus;
  source_id: string;
  is_listed: boolean;
  read_at: SqlTimestamp | null;
  dismissed_at: SqlTimestamp | null;
  created_at: SqlTimestamp;
}

export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    recipientId: row.recipient_id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: row.data,
    priority: row.priority,
    status: row.status,
    actorId: row.actor_id,
    createdAt: iso(row.created_at),
    readAt: isoOrNull(row.read_at),
    dismissedAt: isoOrNull(row.dismissed_at),
  };
}
