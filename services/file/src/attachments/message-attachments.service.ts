import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Message } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import type { FileEntity } from '../files/file.entity.js';
import { FilesRepository } from '../files/files.repository.js';

/** Why a file a message names is not recorded as attached to it. */
export type SkippedAttachment = 'unknown_file' | 'deleted' | 'rejected' | 'not_the_senders';

/**
 * Records the attachments of a published message, as the conversation service announces it: each
 * file the message names becomes readable by whoever may read the conversation. Only the sender's
 * own live files of the message's tenant are recorded; for any other id nothing is recorded and
 * nothing is answered, so naming someone else's file neither attaches it nor tells that it exists.
 * Recording twice is recording once, so a message delivered again changes nothing.
 */
@Injectable()
export class MessageAttachments {
  private readonly logger = createLogger(MessageAttachments.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly files: FilesRepository,
  ) {}

  async record(tenantId: string, message: Message): Promise<void> {
    const fileIds = [...new Set(message.attachments)];
    if (fileIds.length === 0) {
      return;
    }
    // One transaction per message: a failure leaves none of its attachments, and the retry records all.
    await this.dataSource.transaction(async (manager) => {
      for (const fileId of fileIds) {
        const skipped = skipReason(
          await this.files.findInTenant(manager, tenantId, fileId),
          message.senderId,
        );
        if (skipped === null) {
          await this.files.attach(manager, {
            tenantId,
            fileId,
            conversationId: message.conversationId,
            messageId: message.id,
            attachedById: message.senderId,
          });
        } else {
          this.logger.info(
            {
              tenantId,
              conversationId: message.conversationId,
              messageId: message.id,
              senderId: message.senderId,
              fileId,
              reason: skipped,
            },
            'Attachment not recorded',
          );
        }
      }
    });
  }
}

/**
 * Null when the sender may attach the file: it exists in the message's tenant, is not deleted, was
 * not rejected by processing, and the sender owns it. A file still being processed may be attached;
 * it can be downloaded once accepted.
 */
function skipReason(file: FileEntity | null, senderId: string): SkippedAttachment | null {
  if (file === null) {
    return 'unknown_file';
  }
  if (file.ownerId !== senderId) {
    return 'not_the_senders';
  }
  if (file.deletedAt !== null) {
    return 'deleted';
  }
  return file.status === 'rejected' ? 'rejected' : null;
}
