import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import {
  fileProcessing,
  ParleyError,
  type FileInfo,
  type FileUploadQuery,
  type Principal,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { CLOCK, type Clock } from '../file.options.js';
import { claimedType } from '../processing/content-types.js';
import { ByteCounter, tooLarge } from '../storage/byte-counter.js';
import { StorageDrivers } from '../storage/storage-drivers.js';
import { harmlessName, storedNameOf } from './file-names.js';
import { toFileInfo } from './file.entity.js';
import { FilesRepository } from './files.repository.js';

/** An upload as the HTTP layer hands it over: the query, two headers and the body stream. */
export interface Upload {
  readonly query: FileUploadQuery;
  /** The Content-Type header: the uploader's claim about the content. */
  readonly contentType: string | undefined;
  /** The Content-Length header, when the client sent one. */
  readonly declaredBytes: number | undefined;
  readonly body: Readable;
}

const hourMs = 60 * 60 * 1000;

/**
 * Stores uploads: the body is streamed to the storage driver through a byte counter, so no upload
 * is ever held in memory and one that goes past its storage class's limit is stopped at that byte.
 * Only a completely stored file gets a row, and the row and its processing job are committed
 * together.
 */
@Injectable()
export class UploadsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly drivers: StorageDrivers,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async upload(actor: Principal, upload: Upload): Promise<FileInfo> {
    const manager = this.dataSource.manager;
    const storageClass = await this.files.storageClass(manager, upload.query.storageClass);
    const limit = { storageClass: storageClass.name };
    if (upload.declaredBytes !== undefined && upload.declaredBytes > storageClass.maxSizeBytes) {
      // Refused before a byte of the body is read.
      throw tooLarge(storageClass.maxSizeBytes, limit);
    }
    const id = await this.files.newId(manager);
    const receivedAt = this.clock();
    const storedName = storedNameOf(actor.tenantId, id, receivedAt);
    const driver = this.drivers.forUploads;
    const counter = new ByteCounter(storageClass.maxSizeBytes, limit);
    let interrupted = false;
    // The client going away fails the write, which then removes what it had stored.
    upload.body.once('error', (error) => {
      interrupted = true;
      counter.destroy(error);
    });
    upload.body.pipe(counter);
    try {
      await driver.write(storedName, counter);
    } catch (error) {
      upload.body.unpipe(counter);
      throw interrupted
        ? new ParleyError('validation_failed', 'The upload ended before the whole file arrived')
        : error;
    }
    if (counter.bytes === 0) {
      await driver.remove(storedName);
      throw new ParleyError('validation_failed', 'The file is empty');
    }
    try {
      return await this.dataSource.transaction(async (transaction) => {
        const file = await this.files.insert(transaction, {
          id,
          tenantId: actor.tenantId,
          ownerId: actor.userId,
          storageClass: storageClass.name,
          storageDriver: driver.kind,
          originalName: harmlessName(upload.query.name),
          storedName,
          sizeBytes: counter.bytes,
          claimedMimeType: claimedType(upload.contentType),
          expiresAt:
            storageClass.retentionHours === null
              ? null
              : new Date(receivedAt.getTime() + storageClass.retentionHours * hourMs),
        });
        await this.outbox.append(transaction, fileProcessing.job, actor.tenantId, { fileId: id });
        return toFileInfo(file);
      });
    } catch (error) {
      await driver.remove(storedName);
      throw error;
    }
  }
}
