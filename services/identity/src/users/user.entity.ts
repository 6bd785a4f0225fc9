import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { userKinds, userStatuses, type User } from '@parley/contracts';

@Entity({ schema: 'identity', name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'enum', enum: userKinds, enumName: 'user_kind_enum' })
  kind!: User['kind'];

  @Column('text')
  email!: string;

  @Column({ name: 'full_name', type: 'text' })
  fullName!: string;

  @Column({ type: 'text', nullable: true })
  designation!: string | null;

  @Column({ type: 'enum', enum: userStatuses, enumName: 'user_status_enum' })
  status!: User['status'];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

@Entity({ schema: 'identity', name: 'credentials' })
export class CredentialEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'password_changed_at', type: 'timestamptz', insert: false })
  passwordChangedAt!: Date;
}

export function toUser(entity: UserEntity): User {
  return {
    id: entity.id,
    tenantId: entity.tenantId,
    kind: entity.kind,
    email: entity.email,
    fullName: entity.fullName,
    designation: entity.designation,
    status: entity.status,
    createdAt: entity.createdAt.toISOString(),
    updatedAt: entity.updatedAt.toISOString(),
  };
}
