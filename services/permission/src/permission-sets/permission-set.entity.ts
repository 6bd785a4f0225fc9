import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { PermissionSet } from '@parley/contracts';

@Entity({ schema: 'permission', name: 'permission_sets' })
export class PermissionSetEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** null for a system permission set. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column('text')
  name!: string;

  @Column('text')
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

@Entity({ schema: 'permission', name: 'permission_set_members' })
export class PermissionSetMemberEntity {
  @PrimaryColumn({ name: 'permission_set_id', type: 'uuid' })
  permissionSetId!: string;

  @PrimaryColumn({ name: 'permission_id', type: 'text' })
  permission!: string;
}

export function toPermissionSet(entity: PermissionSetEntity, permissions: readonly string[]): PermissionSet {
  return {
    id: entity.id,
    tenantId: entity.tenantId,
    name: entity.name,
    description: entity.description,
    permissions: [...permissions].sort(),
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}
