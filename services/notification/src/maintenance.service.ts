import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PgIdempotencyStore } from '@parley/db';
import { createLogger } from '@parley/logging';
import { ConversationsRepository } from './conversations/conversations.repository.js';
import { CLOCK, NOTIFICATION_OPTIONS, type Clock, type NotificationOptions } from './notification.options.js';

const hourMs = 60 * 60 * 1000;

/**
 * Keeps the bookkeeping bounded: message senders older than NOTIFICATION_SENDER_RETENTION, and the
 * claims of handled events older than that (the event streams keep far less), once an hour.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(MaintenanceService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationsRepository,
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

  /** Deletes what is past retention; returns how many rows of each. */
  async prune(): Promise<{ senders: number; claims: number }> {
    const before = new Date(this.clock().getTime() - this.options.senderRetentionMs);
    const manager = this.dataSource.manager;
    const pruned = {
      senders: await this.conversations.pruneSenders(manager, before),
      claims: await this.idempotency.prune(manager, before),
    };
    if (pruned.senders + pruned.claims > 0) {
      this.logger.info(pruned, 'Pruned old message senders and event claims');
    }
    return pruned;
  }
}
