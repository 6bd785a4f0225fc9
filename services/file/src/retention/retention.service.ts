import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { fileEvents } from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { createLogger } from '@parley/logging';
import { CLOCK, FILE_OPTIONS, type Clock, type FileOptions } from '../file.options.js';
import type { FileEntity } from '../files/file.entity.js';
import { FilesRepository } from '../files/files.repository.js';
import { StorageDrivers } from '../storage/storage-drivers.js';

/** Files whose content one run of the retention job removed. */
export interface RetentionReport {
  /** Live files past the retention of their storage class: deleted and purged. */
  expired: number;
  /** Deleted files past the grace period: purged. */
  purgedDeleted: number;
  /** Rejected files whose content was still stored (processing stopped before removing it). */
  purgedRejected: number;
}

const batchSize = 100;

/**
 * The scheduled retention job: every `retentionIntervalMs`, it removes the content of expired
 * files (and deletes them, with a `file.deleted` event), of files deleted longer ago than the grace
 * period, and of rejected files. Rows stay, with `purged_at` set. Files are taken in batches locked
 * with SKIP LOCKED, so the instances of the service share the work without doing any file twice.
 */
@Injectable()
export class RetentionService implements OnApplicationShutdown {
  private readonly logger = createLogger(RetentionService.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionReport> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly drivers: StorageDrivers,
    private readonly outbox: OutboxWriter,
    @Inject(FILE_OPTIONS) private readonly options: FileOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Runs the job every interval from now on. */
  start(): void {
    this.timer ??= setInterval(() => {
      this.run().catch((error: unknown) => this.logger.error({ err: error }, 'Retention run failed'));
    }, this.options.retentionIntervalMs);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One run; a run asked for while one is going joins it. */
  run(): Promise<RetentionReport> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweep(): Promise<RetentionReport> {
    const now = this.clock();
    const report: RetentionReport = {
      expired: await this.purgeAll(
        (manager) => this.files.lockExpired(manager, now, batchSize),
        (manager, file) => this.expire(manager, file, now),
      ),
      purgedDeleted: await this.purgeAll((manager) =>
        this.files.lockDeletedBefore(
          manager,
          new Date(now.getTime() - this.options.deleteGraceMs),
          batchSize,
        ),
      ),
      purgedRejected: await this.purgeAll((manager) => this.files.lockRejected(manager, batchSize)),
    };
    if (report.expired + report.purgedDeleted + report.purgedRejected > 0) {
      this.logger.info({ ...report }, 'Retention removed the content of files');
    }
    return report;
  }

  /** Purges batch after batch until a batch comes back short; returns how many files were purged. */
  private async purgeAll(
    lock: (manager: EntityManager) => Promise<FileEntity[]>,
    also?: (manager: EntityManager, file: FileEntity) => Promise<void>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const purged = await this.dataSource.transaction(async (manager) => {
        const batch = await lock(manager);
        for (const file of batch) {
          await this.drivers.of(file.storageDriver).remove(file.storedName);
          await also?.(manager, file);
          await this.files.markPurged(manager, file.id, this.clock());
        }
        return batch.length;
      });
      total += purged;
      if (purged < batchSize) {
        return total;
      }
    }
  }

  private async expire(manager: EntityManager, file: FileEntity, now: Date): Promise<void> {
    await this.files.markDeleted(manager, file.id, now);
    await this.outbox.append(manager, fileEvents.deleted, file.tenantId, {
      fileId: file.id,
      ownerId: file.ownerId,
      reason: 'expired',
      deletedAt: now.toISOString(),
    });
  }
}
