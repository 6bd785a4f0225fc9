import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import type { StorageClass } from '@parley/contracts';
import { AttachmentEntity } from './attachment.entity.js';
import { FileEntity } from './file.entity.js';
import { StorageClassEntity } from './storage-class.entity.js';

/** A file as an upload records it; everything processing finds later starts empty. */
export type NewFile = Pick<
  FileEntity,
  | 'id'
  | 'tenantId'
  | 'ownerId'
  | 'storageClass'
  | 'storageDriver'
  | 'originalName'
  | 'storedName'
  | 'sizeBytes'
  | 'claimedMimeType'
  | 'expiresAt'
>;

export interface NewAttachment {
  tenantId: string;
  fileId: string;
  conversationId: string;
  messageId: string;
  attachedById: string;
}

/** Files, their storage classes and attachments. Reads on behalf of an actor are scoped to its tenant. */
@Injectable()
export class FilesRepository {
  /** A new time-ordered file id, taken before the content is stored because the storage key holds it. */
  async newId(manager: EntityManager): Promise<string> {
    const [row] = await manager.query<[{ id: string }]>('SELECT file.uuid_generate_v7() AS id');
    return row.id;
  }

  /** A storage class; every value of the enum has its row (sql/file/0002), so a missing one is a bug. */
  storageClass(manager: EntityManager, name: StorageClass): Promise<StorageClassEntity> {
    return manager.getRepository(StorageClassEntity).findOneByOrFail({ name });
  }

  insert(manager: EntityManager, file: NewFile): Promise<FileEntity> {
    const repository = manager.getRepository(FileEntity);
    return repository.save(
      repository.create({
        ...file,
        mimeType: null,
        extension: null,
        sha256: null,
        status: 'received',
        rejectionReason: null,
        processedAt: null,
        purgedAt: null,
        deletedAt: null,
      }),
    );
  }

  /** A file of the tenant that is not deleted. */
  findLive(manager: EntityManager, tenantId: string, fileId: string): Promise<FileEntity | null> {
    return manager.getRepository(FileEntity).findOneBy({ id: fileId, tenantId, deletedAt: IsNull() });
  }

  /** A file of the tenant, deleted or not. */
  findInTenant(manager: EntityManager, tenantId: string, fileId: string): Promise<FileEntity | null> {
    return manager.getRepository(FileEntity).findOneBy({ id: fileId, tenantId });
  }

  /** A file, whatever its tenant and state, locked for the rest of the transaction. */
  lock(manager: EntityManager, fileId: string): Promise<FileEntity | null> {
    return manager
      .getRepository(FileEntity)
      .createQueryBuilder('file')
      .setLock('pessimistic_write')
      .where('file.id = :fileId', { fileId })
      .getOne();
  }

  save(manager: EntityManager, file: FileEntity): Promise<FileEntity> {
    return manager.getRepository(FileEntity).save(file);
  }

  /** Marks a live file deleted; false when it was deleted already. */
  async markDeleted(manager: EntityManager, fileId: string, deletedAt: Date): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(FileEntity)
      .set({ deletedAt })
      .where('id = :fileId AND deleted_at IS NULL', { fileId })
      .execute();
    return result.affected === 1;
  }

  /** Records that a file's content is no longer stored. */
  async markPurged(manager: EntityManager, fileId: string, purgedAt: Date): Promise<void> {
    await manager.getRepository(FileEntity).update({ id: fileId }, { purgedAt });
  }

  /** Records the attachment, or returns the one recorded before for the same file and message. */
  async attach(manager: EntityManager, attachment: NewAttachment): Promise<AttachmentEntity> {
    await manager
      .createQueryBuilder()
      .insert()
      .into(AttachmentEntity)
      .values(attachment)
      .orIgnore()
      .execute();
    return manager.getRepository(AttachmentEntity).findOneByOrFail({
      fileId: attachment.fileId,
      conversationId: attachment.conversationId,
      messageId: attachment.messageId,
    });
  }

  /** The conversations a file of the tenant is attached to. */
  async conversationsOf(manager: EntityManager, tenantId: string, fileId: string): Promise<string[]> {
    const rows: Array<{ conversation_id: string }> = await manager.query(
      `SELECT DISTINCT conversation_id FROM file.attachments
       WHERE tenant_id = $1 AND file_id = $2 ORDER BY conversation_id`,
      [tenantId, fileId],
    );
    return rows.map((row) => row.conversation_id);
  }

  /** Live files whose storage class let them go at or before `now`, locked; others skip them. */
  lockExpired(manager: EntityManager, now: Date, limit: number): Promise<FileEntity[]> {
    return this.lockBatch(manager, limit, 'file.expires_at <= :now AND file.deleted_at IS NULL', { now });
  }

  /** Files deleted at or before `before` whose content is still stored, locked. */
  lockDeletedBefore(manager: EntityManager, before: Date, limit: number): Promise<FileEntity[]> {
    return this.lockBatch(manager, limit, 'file.deleted_at <= :before', { before });
  }

  /** Rejected files whose content is still stored, locked. */
  lockRejected(manager: EntityManager, limit: number): Promise<FileEntity[]> {
    return this.lockBatch(manager, limit, "file.status = 'rejected'", {});
  }

  private lockBatch(
    manager: EntityManager,
    limit: number,
    condition: string,
    parameters: Record<string, unknown>,
  ): Promise<FileEntity[]> {
    return manager
      .getRepository(FileEntity)
      .createQueryBuilder('file')
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .where(`file.purged_at IS NULL AND ${condition}`, parameters)
      .orderBy('file.id', 'ASC')
      .limit(limit)
      .getMany();
  }
}
