import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createLogger } from '@parley/logging';
import { DirectoryRepository } from '../directory/directory.repository.js';
import {
  CLOCK,
  NOTIFICATION_OPTIONS,
  type Clock,
  type NotificationOptions,
} from '../notification.options.js';
import { NotificationWriter } from '../notifications/notification.writer.js';
import { BroadcastsRepository } from './broadcasts.repository.js';

/**
 * Fans broadcast jobs out to the users of their tenant, one batch per transaction: lock the job,
 * take the next users after its cursor (keyset, in user id order), create their notifications,
 * move the cursor. Memory holds one batch, whatever the tenant's size; a crash loses at most the
 * uncommitted batch, which the next run does again (notifications are unique per job and user).
 * Runs when a send asks it to and, for jobs of other instances or interrupted ones, on a timer.
 */
@Injectable()
export class FanOutWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(FanOutWorker.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly broadcasts: BroadcastsRepository,
    private readonly directory: DirectoryRepository,
    private readonly writer: NotificationWriter,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), this.options.broadcastPollIntervalMs);
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Works through every unfinished job now (or right after the run in progress). */
  kick(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'Broadcast fan-out failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopping) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Runs batches until no job is left; resolves when idle. */
  async drain(): Promise<void> {
    while (!this.stopping && (await this.step())) {
      // Each step committed one batch.
    }
  }

  /** One batch of one job, in one transaction; false when no job is waiting. */
  async step(): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const job = await this.broadcasts.claimNext(manager);
      if (job === undefined) {
        return false;
      }
      const batch = await this.directory.nextReachable(
        manager,
        job.tenant_id,
        job.last_recipient_id,
        this.options.broadcastBatchSize,
      );
      const outcomes = await this.writer.create(
        manager,
        {
          tenantId: job.tenant_id,
          type: job.kind,
          title: job.title,
          body: job.body,
          data: {
            ...job.data,
            broadcastId: job.id,
            ...(job.alert_id === null ? {} : { alertId: job.alert_id }),
          },
          priority: job.priority,
          actorId: job.sender_id,
          sourceId: `broadcast:${job.id}`,
          origin: 'broadcast',
        },
        batch,
      );
      const completed = batch.length < this.options.broadcastBatchSize;
      const advanced = await this.broadcasts.advance(manager, job.id, {
        lastRecipientId: batch.at(-1) ?? null,
        created: outcomes.filter((outcome) => outcome.isNew).length,
        completed,
        at: this.clock(),
      });
      if (completed) {
        this.logger.info(
          { broadcastId: job.id, tenantId: job.tenant_id, recipients: advanced.recipient_count },
          'Broadcast fan-out completed',
        );
      }
      return true;
    });
  }
}
