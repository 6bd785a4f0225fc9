import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { NotificationRow } from '../notifications/notification.row.js';
import { returnedRows } from '../shared/sql-values.js';

/** A pending delivery claimed for an attempt, with its notification. */
export interface ClaimedDelivery {
  delivery_id: string;
  attempts: number;
  notification: NotificationRow;
}

/** Email deliveries: scheduled with their notifications, claimed and settled by the sender. */
@Injectable()
export class DeliveriesRepository {
  /**
   * When each recipient's waiting digest goes out: the due time of their pending deliveries not
   * tried yet. A new delivery joins it instead of starting a window of its own.
   */
  async waitingDigests(manager: EntityManager, recipientIds: readonly string[]): Promise<Map<string, Date>> {
    const rows: Array<{ recipient_id: string; due_at: Date }> = await manager.query(
      `SELECT recipient_id, min(next_attempt_at) AS due_at FROM notification.deliveries
       WHERE recipient_id = ANY($1::uuid[]) AND status = 'pending' AND attempts = 0
       GROUP BY recipient_id`,
      [recipientIds],
    );
    return new Map(rows.map((row) => [row.recipient_id, row.due_at]));
  }

  async schedule(
    manager: EntityManager,
    tenantId: string,
    deliveries: ReadonlyArray<{ notificationId: string; recipientId: string; dueAt: Date }>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO notification.deliveries (notification_id, tenant_id, recipient_id, channel, next_attempt_at)
       SELECT d.notification_id, $1::uuid, d.recipient_id, 'email', d.due_at
       FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS d(notification_id, recipient_id, due_at)
       ON CONFLICT (notification_id, channel) DO NOTHING`,
      [
        tenantId,
        deliveries.map((delivery) => delivery.notificationId),
        deliveries.map((delivery) => delivery.recipientId),
        deliveries.map((delivery) => delivery.dueAt),
      ],
    );
  }

  /** Recipients with deliveries due, oldest due first. */
  async dueRecipients(manager: EntityManager, now: Date, limit: number): Promise<string[]> {
    const rows: Array<{ recipient_id: string }> = await manager.query(
      `SELECT recipient_id FROM notification.deliveries
       WHERE status = 'pending' AND next_attempt_at <= $1
       GROUP BY recipient_id
       ORDER BY min(next_attempt_at)
       LIMIT $2`,
      [now, limit],
    );
    return rows.map((row) => row.recipient_id);
  }

  /**
   * Locks a recipient's due deliveries for one attempt. SKIP LOCKED: rows another instance is
   * sending right now are left to it, so no two instances ever send the same delivery.
   */
  async claimDue(manager: EntityManager, recipientId: string, now: Date): Promise<ClaimedDelivery[]> {
    const rows: Array<NotificationRow & { delivery_id: string; attempts: number }> = await manager.query(
      `SELECT d.id AS delivery_id, d.attempts, n.*
       FROM notification.deliveries d JOIN notification.notifications n ON n.id = d.notification_id
       WHERE d.recipient_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $2
       ORDER BY d.id
       FOR UPDATE OF d SKIP LOCKED`,
      [recipientId, now],
    );
    return rows.map(({ delivery_id, attempts, ...notification }) => ({
      delivery_id,
      attempts,
      notification,
    }));
  }

  async markSent(
    manager: EntityManager,
    deliveryIds: readonly string[],
    digestId: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE notification.deliveries
       SET status = 'sent', sent_at = $3, attempts = attempts + 1, digest_id = $2, last_error = NULL
       WHERE id = ANY($1::uuid[])`,
      [deliveryIds, digestId, now],
    );
  }

  async markSkipped(manager: EntityManager, deliveryIds: readonly string[], reason: string): Promise<void> {
    if (deliveryIds.length === 0) {
      return;
    }
    await manager.query(
      `UPDATE notification.deliveries SET status = 'skipped', last_error = $2 WHERE id = ANY($1::uuid[])`,
      [deliveryIds, reason],
    );
  }

  /**
   * Records a failed attempt: due again at `retryAt`, or dead-lettered once `maxAttempts` is
   * reached. Returns how many were dead-lettered.
   */
  async markFailed(
    manager: EntityManager,
    deliveryIds: readonly string[],
    failure: { error: string; retryAt: Date; maxAttempts: number; digestId: string },
  ): Promise<number> {
    const result: unknown = await manager.query(
      `UPDATE notification.deliveries
       SET attempts = attempts + 1, last_error = $2, digest_id = $5,
           status = CASE WHEN attempts + 1 >= $4 THEN 'dead_lettered'::notification.delivery_status_enum ELSE status END,
           next_attempt_at = CASE WHEN attempts + 1 >= $4 THEN next_attempt_at ELSE $3 END
       WHERE id = ANY($1::uuid[])
       RETURNING status`,
      [
        deliveryIds,
        failure.error.slice(0, 1000) || 'Unknown error',
        failure.retryAt,
        failure.maxAttempts,
        failure.digestId,
      ],
    );
    return returnedRows<{ status: string }>(result).filter((row) => row.status === 'dead_lettered').length;
  }
}
