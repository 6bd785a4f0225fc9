import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Broadcast, BroadcastKind, BroadcastStatus, NotificationPriority } from '@parley/contracts';
import { iso, isoOrNull, returnedRows, type SqlTimestamp } from '../shared/sql-values.js';

/** A row of notification.broadcasts. */
export interface BroadcastRow {
  id: string;
  tenant_id: string;
  sender_id: string;
  sender_tenant_id: string;
  alert_id: string | null;
  last_recipient_id: string | null;
  kind: BroadcastKind;
  status: BroadcastStatus;
  title: string;
  body: string;
  data: Record<string, unknown>;
  priority: NotificationPriority;
  recipient_count: number;
  started_at: SqlTimestamp | null;
  completed_at: SqlTimestamp | null;
  created_at: SqlTimestamp;
}

export function toBroadcast(row: BroadcastRow): Broadcast {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    alertId: row.alert_id,
    senderId: row.sender_id,
    title: row.title,
    body: row.body,
    priority: row.priority,
    status: row.status,
    recipientCount: row.recipient_count,
    createdAt: iso(row.created_at),
    startedAt: isoOrNull(row.started_at),
    completedAt: isoOrNull(row.completed_at),
  };
}

/** What a new job is made of; one per target tenant. */
export interface NewBroadcast {
  kind: BroadcastKind;
  alertId: string | null;
  senderId: string;
  senderTenantId: string;
  idempotencyKey: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  priority: NotificationPriority;
}

/** Broadcast jobs: created by a send, advanced batch by batch by the fan-out worker. */
@Injectable()
export class BroadcastsRepository {
  /**
   * Creates one job per tenant; a repeated send (same sender, kind and key) creates nothing for
   * the tenants it already has. Returns every job of the send, in tenant id order.
   */
  async create(
    manager: EntityManager,
    job: NewBroadcast,
    tenantIds: readonly string[],
  ): Promise<BroadcastRow[]> {
    await manager.query(
      `INSERT INTO notification.broadcasts
         (tenant_id, sender_id, sender_tenant_id, alert_id, kind, idempotency_key, title, body, data, priority)
       SELECT t.tenant_id, $2::uuid, $3::uuid, $4::uuid, $5::notification.broadcast_kind_enum, $6::text,
              $7::text, $8::text, $9::jsonb, $10::notification.notification_priority_enum
       FROM unnest($1::uuid[]) AS t(tenant_id)
       ORDER BY t.tenant_id
       ON CONFLICT (sender_id, kind, idempotency_key, tenant_id) DO NOTHING`,
      [
        tenantIds,
        job.senderId,
        job.senderTenantId,
        job.alertId,
        job.kind,
        job.idempotencyKey,
        job.title,
        job.body,
        JSON.stringify(job.data),
        job.priority,
      ],
    );
    return this.findSent(manager, job.senderId, job.kind, job.idempotencyKey);
  }

  /** The jobs of one send, found by its sender, kind and key. */
  findSent(
    manager: EntityManager,
    senderId: string,
    kind: BroadcastKind,
    idempotencyKey: string,
  ): Promise<BroadcastRow[]> {
    return manager.query(
      `SELECT * FROM notification.broadcasts WHERE sender_id = $1 AND kind = $2 AND idempotency_key = $3
       ORDER BY tenant_id`,
      [senderId, kind, idempotencyKey],
    );
  }

  async find(manager: EntityManager, id: string, senderTenantId: string): Promise<BroadcastRow | undefined> {
    const rows: BroadcastRow[] = await manager.query(
      `SELECT * FROM notification.broadcasts WHERE id = $1 AND sender_tenant_id = $2`,
      [id, senderTenantId],
    );
    return rows[0];
  }

  /**
   * Locks the oldest unfinished job no other worker holds. SKIP LOCKED: instances share the jobs,
   * and a job's batches never run twice at once.
   */
  async claimNext(manager: EntityManager): Promise<BroadcastRow | undefined> {
    const rows: BroadcastRow[] = await manager.query(
      `SELECT * FROM notification.broadcasts WHERE status <> 'completed' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    return rows[0];
  }

  /** Records a batch: the cursor moves to its last user; a short batch completes the job. */
  async advance(
    manager: EntityManager,
    id: string,
    progress: { lastRecipientId: string | null; created: number; completed: boolean; at: Date },
  ): Promise<BroadcastRow> {
    const result: unknown = await manager.query(
      `UPDATE notification.broadcasts SET
         last_recipient_id = COALESCE($2::uuid, last_recipient_id),
         recipient_count = recipient_count + $3,
         status = CASE WHEN $4::boolean THEN 'completed' ELSE 'running' END::notification.broadcast_status_enum,
         started_at = COALESCE(started_at, $5),
         completed_at = CASE WHEN $4::boolean THEN $5 ELSE NULL END
       WHERE id = $1
       RETURNING *`,
      [id, progress.lastRecipientId, progress.created, progress.completed, progress.at],
    );
    return returnedRows<BroadcastRow>(result)[0] as BroadcastRow;
  }
}
