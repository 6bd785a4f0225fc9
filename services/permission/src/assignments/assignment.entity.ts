import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { resourceTypes, type Assignment, type Conditions, type ResourceType } from '@parley/contracts';

@Entity({ schema: 'permission', name: 'assignments' })
export class AssignmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'actor_id', type: 'uuid' })
  actorId!: string;

  @Column({ name: 'permission_id', type: 'text', nullable: true })
  permission!: string | null;

  @Column({ name: 'permission_set_id', type: 'uuid', nullable: true })
  permissionSetId!: string | null;

  @Column({ name: 'created_by_id', type: 'uuid', nullable: true })
  createdById!: string | null;

  @Column({ name: 'revoked_by_id', type: 'uuid', nullable: true })
  revokedById!: string | null;

  @Column({
    name: 'resource_type',
    type: 'enum',
    enum: resourceTypes,
    enumName: 'resource_type_enum',
    nullable: true,
  })
  resourceType!: ResourceType | null;

  @Column({ name: 'resource_id', type: 'uuid', nullable: true })
  resourceId!: string | null;

  @Column('jsonb')
  conditions!: Conditions;

  @Column({ name: 'starts_at', type: 'timestamptz', nullable: true })
  startsAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export function toAssignment(entity: AssignmentEntity): Assignment {
  return {
    id: entity.id,
    tenantId: entity.tenantId,
    actorId: entity.actorId,
    permission: entity.permission,
    permissionSetId: entity.permissionSetId,
    resource:
      entity.resourceType !== null && entity.resourceId !== null
        ? { type: entity.resourceType, id: entity.resourceId }
        : null,
    validFrom: entity.startsAt?.toISOString() ?? null,
    validUntil: entity.expiresAt?.toISOString() ?? null,
    conditions: entity.conditions,
    createdById: entity.createdById,
    createdAt: entity.createdAt.toISOString(),
  };
}
