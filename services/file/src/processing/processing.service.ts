import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { fileEvents } from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { createLogger } from '@parley/logging';
import { CLOCK, type Clock } from '../file.options.js';
import { toFileInfo, type FileEntity } from '../files/file.entity.js';
import { FilesRepository } from '../files/files.repository.js';
import { StorageDrivers } from '../storage/storage-drivers.js';
import { detectionSampleBytes, detectType, verdict, type DetectedType } from './content-types.js';

/** What one read of the stored content finds. */
interface Digest {
  sha256: string;
  sizeBytes: number;
  /** The first bytes, for type detection. */
  sample: Buffer;
}

/**
 * Processes one upload: reads the stored content once (hash, size, the first bytes), detects its
 * type from those bytes, and accepts or rejects the file with an event. A rejected file's content
 * is removed at once. Running twice for the same file does nothing the second time, so a job
 * delivered again after a crash is harmless.
 */
@Injectable()
export class ProcessingService {
  private readonly logger = createLogger(ProcessingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly drivers: StorageDrivers,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async process(fileId: string): Promise<void> {
    const file = await this.start(fileId);
    if (file === undefined) {
      return;
    }
    const driver = this.drivers.of(file.storageDriver);
    const digest = await digestOf(await driver.read(file.storedName));
    const detected = await detectType(digest.sample, digest.sizeBytes <= digest.sample.length);
    const reason =
      digest.sizeBytes === file.sizeBytes
        ? verdict(detected, file.claimedMimeType)
        : ('size_mismatch' as const);
    const finished = await this.finish(fileId, digest, detected, reason);
    if (finished?.status === 'rejected') {
      await driver.remove(finished.storedName);
      await this.files.markPurged(this.dataSource.manager, finished.id, this.clock());
    }
  }

  /** Marks the file as being processed; undefined when there is nothing (left) to do. */
  private start(fileId: string): Promise<FileEntity | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const file = await this.files.lock(manager, fileId);
      if (
        file === null ||
        file.deletedAt !== null ||
        file.status === 'accepted' ||
        file.status === 'rejected'
      ) {
        this.logger.info({ fileId, status: file?.status }, 'Nothing to process');
        return undefined;
      }
      file.status = 'processing';
      return this.files.save(manager, file);
    });
  }

  /** Records the outcome with its event, unless the file was deleted meanwhile. */
  private finish(
    fileId: string,
    digest: Digest,
    detected: DetectedType,
    reason: ReturnType<typeof verdict> | 'size_mismatch',
  ): Promise<FileEntity | undefined> {
    return this.dataSource.transaction(async (manager) => {
      const file = await this.files.lock(manager, fileId);
      if (file === null || file.deletedAt !== null || file.status !== 'processing') {
        return undefined;
      }
      file.sha256 = digest.sha256;
      file.mimeType = detected.mimeType;
      file.extension = detected.extension;
      file.status = reason === null ? 'accepted' : 'rejected';
      file.rejectionReason = reason;
      file.processedAt = this.clock();
      const saved = await this.files.save(manager, file);
      await this.outbox.append(
        manager,
        reason === null ? fileEvents.accepted : fileEvents.rejected,
        file.tenantId,
        {
          file: toFileInfo(saved),
        },
      );
      this.logger.info(
        { fileId, status: saved.status, mimeType: saved.mimeType, rejectionReason: reason },
        'File processed',
      );
      return saved;
    });
  }
}

/** Hashes and measures the content in one pass, keeping only its first bytes. */
export async function digestOf(content: Readable): Promise<Digest> {
  const hash = createHash('sha256');
  const sample = Buffer.alloc(detectionSampleBytes);
  let sampled = 0;
  let sizeBytes = 0;
  for await (const chunk of content as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
    if (sampled < sample.length) {
      sampled += chunk.copy(sample, sampled, 0, Math.min(chunk.length, sample.length - sampled));
    }
  }
  return { sha256: hash.digest('hex'), sizeBytes, sample: sample.subarray(0, sampled) };
}
