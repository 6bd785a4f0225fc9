import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import {
  fileRejectionReasons,
  fileStatuses,
  storageClasses,
  type FileInfo,
  type FileRejectionReason,
  type FileStatus,
  type StorageClass,
} from '@parley/contracts';
import { storageDrivers, type StorageDriverKind } from '../file.options.js';

/** A file of the `file.files` table. */
@Entity({ schema: 'file', name: 'files' })
export class FileEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId!: string;

  @Column({ name: 'storage_class', type: 'enum', enum: storageClasses, enumName: 'storage_class_enum' })
  storageClass!: StorageClass;

  @Column({ name: 'storage_driver', type: 'enum', enum: storageDrivers, enumName: 'storage_driver_enum' })
  storageDriver!: StorageDriverKind;

  @Column({ name: 'original_name', type: 'text' })
  originalName!: string;

  @Column({ name: 'stored_name', type: 'text' })
  storedName!: string;

  /** bigint arrives as text from pg; every size here fits a double exactly (below 2^53). */
  @Column({
    name: 'size_bytes',
    type: 'bigint',
    transformer: { to: (value: number) => value, from: (value: string) => Number(value) },
  })
  sizeBytes!: number;

  @Column({ name: 'claimed_mime_type', type: 'text', nullable: true })
  claimedMimeType!: string | null;

  @Column({ name: 'mime_type', type: 'text', nullable: true })
  mimeType!: string | null;

  @Column({ type: 'text', nullable: true })
  extension!: string | null;

  @Column({ type: 'text', nullable: true })
  sha256!: string | null;

  @Column({ type: 'enum', enum: fileStatuses, enumName: 'file_status_enum' })
  status!: FileStatus;

  @Column({
    name: 'rejection_reason',
    type: 'enum',
    enum: fileRejectionReasons,
    enumName: 'rejection_reason_enum',
    nullable: true,
  })
  rejectionReason!: FileRejectionReason | null;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'purged_at', type: 'timestamptz', nullable: true })
  purgedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

export function toFileInfo(entity: FileEntity): FileInfo {
  return {
    id: entity.id,
    tenantId: entity.tenantId,
    ownerId: entity.ownerId,
    name: entity.originalName,
    storageClass: entity.storageClass,
    sizeBytes: entity.sizeBytes,
    claimedMimeType: entity.claimedMimeType,
    mimeType: entity.mimeType,
    extension: entity.extension,
    sha256: entity.sha256,
    status: entity.status,
    rejectionReason: entity.rejectionReason,
    expiresAt: entity.expiresAt?.toISOString() ?? null,
    processedAt: entity.processedAt?.toISOString() ?? null,
    createdAt: entity.createdAt.toISOString(),
  };
}
