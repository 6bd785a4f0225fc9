import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NotificationRow } from './notification.row.js';
import { returnedRows } from '../shared/sql-values.js';

export interface InboxPage {
  unreadOnly: boolean;
  includeDismissed: boolean;
  /** The last id of the previous page. */
  before: string | undefined;
  limit: number;
}

/** A user's own notifications and unread counter. Every query is bound to recipient and tenant. */
@Injectable()
export class InboxRepository {
  list(
    manager: EntityManager,
    tenantId: string,
    recipientId: string,
    page: InboxPage,
  ): Promise<NotificationRow[]> {
    return manager.query(
      `SELECT * FROM notification.notifications
       WHERE recipient_id = $1 AND tenant_id = $2 AND is_listed
         AND ($3::boolean IS FALSE OR status = 'new')
         AND ($4::boolean OR status <> 'dismissed')
         AND ($5::uuid IS NULL OR id < $5::uuid)
       ORDER BY id DESC
       LIMIT $6`,
      [recipientId, tenantId, page.unreadOnly, page.includeDismissed, page.before ?? null, page.limit],
    );
  }

  /**
   * Deletes up to `limit` notifications created before `before` that are read, dismissed or not
   * listed (email only: nobody can read them in the inbox), with their deliveries; returns how
   * many. Unread listed ones stay, so counts never change. Ids are time-ordered,
   * so the oldest are found by the primary key, not by a scan of the table.
   */
  async pruneSettled(manager: EntityManager, before: Date, limit: number): Promise<number> {
    const rows: unknown = await manager.query(
      `WITH doomed AS (
         SELECT id FROM notification.notifications WHERE id < $1 AND (status <> 'new' OR NOT is_listed)
         ORDER BY id LIMIT $2
       ), deliveries AS (
         DELETE FROM notification.deliveries d USING doomed WHERE d.notification_id = doomed.id
       )
       DELETE FROM notification.notifications n USING doomed WHERE n.id = doomed.id RETURNING n.id`,
      [firstIdAt(before), limit],
    );
    return returnedRows<{ id: string }>(rows).length;
  }

  async unreadCount(manager: EntityManager, recipientId: string): Promise<number> {
    const rows: Array<{ unread_count: number }> = await manager.query(
      `SELECT unread_count FROM notification.inboxes WHERE recipient_id = $1`,
      [recipientId],
    );
    return rows[0]?.unread_count ?? 0;
  }

  /**
   * Locks the recipient's counter (creating it at zero) and returns it. Every change of the
   * recipient's unread notifications takes this lock first, so concurrent reads and dismissals
   * of one inbox run one after the other and each sees the count the previous one left.
   */
  async lock(manager: EntityManager, tenantId: string, recipientId: string): Promise<number> {
    const rows: Array<{ unread_count: number }> = await manager.query(
      `INSERT INTO notification.inboxes (recipient_id, tenant_id) VALUES ($1, $2)
       ON CONFLICT (recipient_id) DO UPDATE SET unread_count = inboxes.unread_count
       RETURNING unread_count`,
      [recipientId, tenantId],
    );
    return rows[0]?.unread_count ?? 0;
  }

  /** Locks the recipient's counter if there is one (a user never notified has none). */
  async lockExisting(manager: EntityManager, recipientId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM notification.inboxes WHERE recipient_id = $1 FOR UPDATE`,
      [recipientId],
    );
    return rows.length === 1;
  }

  async find(
    manager: EntityManager,
    tenantId: string,
    recipientId: string,
    id: string,
  ): Promise<NotificationRow | undefined> {
    const rows: NotificationRow[] = await manager.query(
      `SELECT * FROM notification.notifications
       WHERE id = $1 AND recipient_id = $2 AND tenant_id = $3 AND is_listed`,
      [id, recipientId, tenantId],
    );
    return rows[0];
  }

  async markRead(manager: EntityManager, id: string, at: Date): Promise<NotificationRow> {
    const result: unknown = await manager.query(
      `UPDATE notification.notifications SET status = 'read', read_at = $2 WHERE id = $1 RETURNING *`,
      [id, at],
    );
    return returnedRows<NotificationRow>(result)[0] as NotificationRow;
  }

  async dismiss(manager: EntityManager, id: string, at: Date): Promise<NotificationRow> {
    const result: unknown = await manager.query(
      `UPDATE notification.notifications SET status = 'dismissed', dismissed_at = $2 WHERE id = $1 RETURNING *`,
      [id, at],
    );
    return returnedRows<NotificationRow>(result)[0] as NotificationRow;
  }

  /** Marks every unread listed notification of the recipient read; returns how many. */
  async markAllRead(manager: EntityManager, recipientId: string, at: Date): Promise<number> {
    const result: unknown = await manager.query(
      `UPDATE notification.notifications SET status = 'read', read_at = $2
       WHERE recipient_id = $1 AND is_listed AND status = 'new'`,
      [recipientId, at],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }

  /**
   * Marks read the recipient's unread notifications about messages of a conversation up to a
   * sequence number (what they have now read in the conversation itself); returns their ids.
   */
  async markConversationRead(
    manager: EntityManager,
    recipientId: string,
    conversationId: string,
    sequence: number,
    at: Date,
  ): Promise<string[]> {
    const result: unknown = await manager.query(
      `UPDATE notification.notifications SET status = 'read', read_at = $4
       WHERE recipient_id = $1 AND is_listed AND status = 'new'
         AND type IN ('message', 'mention', 'reply')
         AND data ->> 'conversationId' = $2::text AND (data ->> 'sequence')::bigint <= $3
       RETURNING id`,
      [recipientId, conversationId, sequence, at],
    );
    return returnedRows<{ id: string }>(result).map((row) => row.id);
  }

  async setUnreadCount(
    manager: EntityManager,
    recipientId: string,
    change: { by: number } | { to: number },
  ): Promise<number> {
    const rows: unknown = await manager.query(
      'by' in change
        ? `UPDATE notification.inboxes SET unread_count = unread_count + $2 WHERE recipient_id = $1 RETURNING unread_count`
        : `UPDATE notification.inboxes SET unread_count = $2 WHERE recipient_id = $1 RETURNING unread_count`,
      [recipientId, 'by' in change ? change.by : change.to],
    );
    return returnedRows<{ unread_count: number }>(rows)[0]?.unread_count ?? 0;
  }
}

/** The lowest time-ordered (version 7) id of the millisecond `at`: every id below is older. */
export function firstIdAt(at: Date): string {
  const hex = Math.max(0, Math.floor(at.getTime())).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}
