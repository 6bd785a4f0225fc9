import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  fileEvents,
  ParleyError,
  type FileAttachment,
  type FileInfo,
  type fileRequests,
  type ParsedRequestOf,
  type Principal,
  type ResponseOf,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { CLOCK, type Clock } from '../file.options.js';
import { toAttachment } from './attachment.entity.js';
import { FileAccess } from './file-access.js';
import { toFileInfo } from './file.entity.js';
import { FilesRepository } from './files.repository.js';

type Attach = ParsedRequestOf<typeof fileRequests.attach>;
type Deleted = ResponseOf<typeof fileRequests.delete>;

/** Reading, deleting and attaching files; uploads and downloads have their own services. */
@Injectable()
export class FilesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
    private readonly access: FileAccess,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async get(actor: Principal, fileId: string): Promise<FileInfo> {
    return toFileInfo(await this.access.readable(actor, fileId));
  }

  /**
   * Deletes the file for every reader at once (soft delete); the retention job removes its content
   * after the grace period.
   */
  async delete(actor: Principal, fileId: string): Promise<Deleted> {
    const file = await this.access.deletable(actor, fileId);
    const deletedAt = this.clock();
    await this.dataSource.transaction(async (manager) => {
      // Deleting twice is deleting once: only the delete that marks the file announces it.
      if (await this.files.markDeleted(manager, file.id, deletedAt)) {
        await this.outbox.append(manager, fileEvents.deleted, file.tenantId, {
          fileId: file.id,
          ownerId: file.ownerId,
          reason: 'deleted',
          deletedAt: deletedAt.toISOString(),
        });
      }
    });
    return { fileId: file.id, deletedAt: deletedAt.toISOString() };
  }

  /** Records that the actor's own file is attached to a message (the guard checked the conversation). */
  async attach(actor: Principal, request: Attach): Promise<FileAttachment> {
    const file = await this.access.owned(actor, request.fileId);
    if (file.status === 'rejected') {
      throw new ParleyError('conflict', 'A rejected file cannot be attached', {
        fileId: file.id,
        rejectionReason: file.rejectionReason,
      });
    }
    const attachment = await this.files.attach(this.dataSource.manager, {
      tenantId: file.tenantId,
      fileId: file.id,
      conversationId: request.conversationId,
      messageId: request.messageId,
      attachedById: actor.userId,
    });
    return toAttachment(attachment);
  }
}
