import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { notificationEvents, type NotificationPriority } from '@parley/contracts';
import { Metrics } from '@parley/observability';
import type { Counter } from 'prom-client';
import { DeliveriesRepository } from '../email/deliveries.repository.js';
import {
  CLOCK,
  NOTIFICATION_OPTIONS,
  type Clock,
  type NotificationOptions,
} from '../notification.options.js';
import { PreferencesRepository } from '../preferences/preferences.repository.js';
import { isQuiet, quietEnd } from '../preferences/quiet-hours.js';
import { BulkOutbox } from './bulk-outbox.js';
import { toNotification, type NotificationRow } from './notification.row.js';

/** What one source (event, request, broadcast batch) notifies its recipients of. */
export interface NotificationDraft {
  tenantId: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  priority: NotificationPriority;
  /** Who caused it; null for the platform. */
  actorId: string | null;
  /** Unique per recipient: the same source never notifies a recipient twice. */
  sourceId: string;
  /** What made it, for metrics: an event, a request or a broadcast. */
  origin: 'event' | 'request' | 'broadcast';
}

/** What became of one recipient. */
export interface RecipientOutcome {
  recipientId: string;
  /** null: the recipient's preferences turned every channel off for the type. */
  notificationId: string | null;
  /** false: an earlier delivery of the same source created it. */
  isNew: boolean;
}

/**
 * Creates the notifications of one source for any number of recipients of one tenant, in the
 * caller's transaction and a fixed number of statements: preferences decide the channels, the
 * unread counters move, each listed notification is announced through the outbox, and email
 * deliveries are scheduled into the recipient's waiting digest (or at once when urgent), after
 * quiet hours.
 */
@Injectable()
export class NotificationWriter {
  private readonly created: Counter<'origin'>;

  constructor(
    private readonly preferences: PreferencesRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly outbox: BulkOutbox,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.created = metrics.counter({
      name: 'parley_notifications_created_total',
      help: 'Notifications created, by what made them',
      labelNames: ['origin'],
    });
  }

  async create(
    manager: EntityManager,
    draft: NotificationDraft,
    recipientIds: readonly string[],
  ): Promise<RecipientOutcome[]> {
    // Sorted: concurrent writers lock the recipients' counters in the same order.
    const recipients = [...new Set(recipientIds)].sort();
    if (recipients.length === 0) {
      return [];
    }
    const emailOn = this.options.email !== undefined;
    const choices = await this.preferences.choicesFor(manager, draft.tenantId, draft.type, recipients);
    const wanted = recipients.filter((recipient) => {
      const choice = choices.get(recipient);
      return choice !== undefined && (choice.inApp || (emailOn && choice.email));
    });
    const inserted = await this.insert(
      manager,
      draft,
      wanted,
      (recipient) => choices.get(recipient)?.inApp === true,
    );
    this.created.inc({ origin: draft.origin }, inserted.length);
    const insertedBy = new Map(inserted.map((row) => [row.recipient_id, row]));
    const earlier = await this.earlier(
      manager,
      draft.sourceId,
      wanted.filter((recipient) => !insertedBy.has(recipient)),
    );
    if (inserted.length > 0) {
      const now = this.clock();
      const quiet = await this.preferences.quietPeriodsFor(manager, draft.tenantId, [...insertedBy.keys()]);
      await this.announce(manager, draft.tenantId, inserted, quiet, now);
      if (emailOn) {
        const emailed = inserted.filter((row) => choices.get(row.recipient_id)?.email === true);
        await this.scheduleEmails(manager, draft, emailed, quiet, now);
      }
    }
    return recipients.map((recipientId) => {
      const made = insertedBy.get(recipientId);
      return made === undefined
        ? { recipientId, notificationId: earlier.get(recipientId) ?? null, isNew: false }
        : { recipientId, notificationId: made.id, isNew: true };
    });
  }

  private insert(
    manager: EntityManager,
    draft: NotificationDraft,
    recipients: readonly string[],
    listed: (recipient: string) => boolean,
  ): Promise<NotificationRow[]> {
    if (recipients.length === 0) {
      return Promise.resolve([]);
    }
    return manager.query(
      `INSERT INTO notification.notifications
         (tenant_id, recipient_id, actor_id, type, title, body, data, priority, source_id, is_listed)
       SELECT $1::uuid, r.recipient_id, $2::uuid, $3::text, $4::text, $5::text, $6::jsonb,
         $7::notification.notification_priority_enum, $8::text, r.is_listed
       FROM unnest($9::uuid[], $10::boolean[]) AS r(recipient_id, is_listed)
       ORDER BY r.recipient_id
       ON CONFLICT (recipient_id, source_id) DO NOTHING
       RETURNING *`,
      [
        draft.tenantId,
        draft.actorId,
        draft.type,
        draft.title,
        draft.body,
        JSON.stringify(draft.data),
        draft.priority,
        draft.sourceId,
        recipients,
        recipients.map(listed),
      ],
    );
  }

  /** The notifications an earlier delivery of the same source made for these recipients. */
  private async earlier(
    manager: EntityManager,
    sourceId: string,
    recipients: readonly string[],
  ): Promise<Map<string, string>> {
    if (recipients.length === 0) {
      return new Map();
    }
    const rows: Array<{ id: string; recipient_id: string }> = await manager.query(
      `SELECT id, recipient_id FROM notification.notifications
       WHERE source_id = $1 AND recipient_id = ANY($2::uuid[])`,
      [sourceId, recipients],
    );
    return new Map(rows.map((row) => [row.recipient_id, row.id]));
  }

  /** Counts the listed notifications as unread and announces each with its recipient's new count. */
  private async announce(
    manager: EntityManager,
    tenantId: string,
    inserted: readonly NotificationRow[],
    quiet: Awaited<ReturnType<PreferencesRepository['quietPeriodsFor']>>,
    now: Date,
  ): Promise<void> {
    const listed = inserted.filter((row) => row.is_listed);
    if (listed.length === 0) {
      return;
    }
    const counts: Array<{ recipient_id: string; unread_count: number }> = await manager.query(
      `INSERT INTO notification.inboxes (recipient_id, tenant_id, unread_count)
       SELECT recipient_id, $1::uuid, 1 FROM unnest($2::uuid[]) AS r(recipient_id) ORDER BY recipient_id
       ON CONFLICT (recipient_id) DO UPDATE SET unread_count = inboxes.unread_count + 1
       RETURNING recipient_id, unread_count`,
      [tenantId, listed.map((row) => row.recipient_id)],
    );
    const countOf = new Map(counts.map((row) => [row.recipient_id, row.unread_count]));
    await this.outbox.appendMany(
      manager,
      notificationEvents.created,
      tenantId,
      listed.map((row) => {
        const period = quiet.get(row.recipient_id);
        return {
          notification: toNotification(row),
          unreadCount: countOf.get(row.recipient_id) ?? 1,
          isQuiet: period !== undefined && isQuiet(period, now),
        };
      }),
    );
  }

  /**
   * Emails go out in digests: a delivery joins the recipient's waiting digest, or starts one due
   * after the digest window. Urgent notifications are due at once. Quiet hours move the due time
   * to their end, except for urgent ones.
   */
  private async scheduleEmails(
    manager: EntityManager,
    draft: NotificationDraft,
    rows: readonly NotificationRow[],
    quiet: Awaited<ReturnType<PreferencesRepository['quietPeriodsFor']>>,
    now: Date,
  ): Promise<void> {
    const email = this.options.email;
    if (rows.length === 0 || email === undefined) {
      return;
    }
    const urgent = draft.priority === 'urgent';
    const waiting = urgent
      ? new Map<string, Date>()
      : await this.deliveries.waitingDigests(
          manager,
          rows.map((row) => row.recipient_id),
        );
    await this.deliveries.schedule(
      manager,
      draft.tenantId,
      rows.map((row) => ({
        notificationId: row.id,
        recipientId: row.recipient_id,
        dueAt: urgent
          ? now
          : (waiting.get(row.recipient_id) ??
            quietEnd(quiet.get(row.recipient_id), new Date(now.getTime() + email.digestWindowMs))),
      })),
    );
  }
}
