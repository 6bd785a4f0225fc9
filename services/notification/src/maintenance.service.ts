import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PgIdempotencyStore } from '@parley/db';
import { createLogger } from '@parley/logging';
import { ConversationsRepository } from './conversations/conversations.repository.js';
import { InboxRepository } from './notifications/inbox.repository.js';
import { CLOCK, NOTIFICATION_OPTIONS, type Clock, type NotificationOptions } from './notification.options.js';

const hourMs = 60 * 60 * 1000;

/** Notifications deleted per statement, so that no statement holds locks for long. */
const pruneBatch = 1000;

/**
 * Keeps the tables bounded, once an hour: read, dismissed and email-only notifications older than
 * NOTIFICATION_RETENTION (with their deliveries), message senders older than
 * NOTIFICATION_SENDER_RETENTION, and the claims of handled events older than that (the event
 * streams keep far less).
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(MaintenanceService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
    private readonly inbox: InboxRepository,
    private readonly idempotency: PgIdempotencyStore,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.prune().catch((error: unknown) => this.logger.error({ err: error }, 'Pruning failed'));
    }, hourMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /**
   * Deletes what is past retention; returns how many rows of each, and the kinds that failed. Each
   * kind is pruned on its own: one that fails (logged) leaves the others to run.
   */
  async prune(): Promise<{ notifications: number; senders: number; claims: number; failed: PruneKind[] }> {
    const now = this.clock().getTime();
    const before = new Date(now - this.options.senderRetentionMs);
    const settledBefore = new Date(now - this.options.notificationRetentionMs);
    const manager = this.dataSource.manager;
    const failed: PruneKind[] = [];
    const attempt = async (kind: PruneKind, run: () => Promise<number>): Promise<number> => {
      try {
        return await run();
      } catch (error) {
        failed.push(kind);
        this.logger.error({ err: error, kind }, 'Pruning failed; the other kinds go on');
        return 0;
      }
    };
    // Batches deleted before one fails stay counted.
    let notifications = 0;
    await attempt('notifications', async () => {
      for (let deleted = pruneBatch; deleted === pruneBatch;) {
        deleted = await this.inbox.pruneSettled(manager, settledBefore, pruneBatch);
        notifications += deleted;
      }
      return notifications;
    });
    const pruned = {
      notifications,
      senders: await attempt('senders', () => this.conversations.pruneSenders(manager, before)),
      claims: await attempt('claims', () => this.idempotency.prune(manager, before)),
    };
    if (pruned.notifications + pruned.senders + pruned.claims > 0) {
      this.logger.info(pruned, 'Pruned old notifications, message senders and event claims');
    }
    return { ...pruned, failed };
  }
}

/** What maintenance prunes. */
export type PruneKind = 'notifications' | 'senders' | 'claims';
