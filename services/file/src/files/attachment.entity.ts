import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { FileAttachment } from '@parley/contracts';

/** A file attached to a message, of the `file.attachments` table. */
@Entity({ schema: 'file', name: 'attachments' })
export class AttachmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'file_id', type: 'uuid' })
  fileId!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @Column({ name: 'attached_by_id', type: 'uuid' })
  attachedById!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

export function toAttachment(entity: AttachmentEntity): FileAttachment {
  return {
    id: entity.id,
    fileId: entity.fileId,
    conversationId: entity.conversationId,
    messageId: entity.messageId,
    attachedById: entity.attachedById,
    createdAt: entity.createdAt.toISOString(),
  };
}
