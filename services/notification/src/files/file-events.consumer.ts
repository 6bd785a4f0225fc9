import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { fileEvents, type FileRejectionReason } from '@parley/contracts';
import { DirectoryRepository } from '../directory/directory.repository.js';
import { NotificationWriter } from '../notifications/notification.writer.js';
import { EventFollower, type FollowedEvent } from '../shared/event-follower.js';
import { clip } from '../shared/text.js';

/** The durable consumer of the file service's rejections. */
export const fileDurable = 'notification-file-rejected';

/** Why a file was refused, as its owner reads it. */
const reasons: Record<FileRejectionReason, string> = {
  type_not_allowed: 'files of this type are not accepted',
  type_mismatch: 'its content is not of the type it claimed',
  size_mismatch: 'it did not arrive complete',
};

/** Tells the owner of an upload that processing rejected it. */
@Injectable()
export class FileEventsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly follower: EventFollower,
    private readonly directory: DirectoryRepository,
    private readonly writer: NotificationWriter,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.follower.follow({
      service: 'file',
      durable: fileDurable,
      type: fileEvents.rejected.type,
      contracts: [fileEvents.rejected],
      handle: (manager, event) => this.rejected(manager, event),
    });
  }

  private async rejected(manager: EntityManager, event: FollowedEvent): Promise<void> {
    const { file } = fileEvents.rejected.payload.parse(event.payload);
    const owner = (await this.directory.findUsers(manager, [file.ownerId])).get(file.ownerId);
    if (!event.isFresh || (owner !== undefined && owner.status !== 'active')) {
      return;
    }
    const why = file.rejectionReason === null ? 'it could not be processed' : reasons[file.rejectionReason];
    await this.writer.create(
      manager,
      {
        tenantId: event.tenantId,
        type: 'file_rejected',
        title: clip(`Your file ${file.name} was rejected`, 200),
        body: `The file was not stored: ${why}.`,
        data: { fileId: file.id, reason: file.rejectionReason },
        priority: 'normal',
        actorId: null,
        sourceId: `file:${event.msgId}`,
        origin: 'event',
      },
      [file.ownerId],
    );
  }
}
