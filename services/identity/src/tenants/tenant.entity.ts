import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { tenantStatuses, type Tenant } from '@parley/contracts';

@Entity({ schema: 'identity', name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'parent_tenant_id', type: 'uuid', nullable: true })
  parentTenantId!: string | null;

  @Column('text')
  slug!: string;

  @Column('text')
  name!: string;

  @Column({ type: 'enum', enum: tenantStatuses, enumName: 'tenant_status_enum' })
  status!: Tenant['status'];

  @Column({ name: 'allows_self_registration', type: 'boolean' })
  allowsSelfRegistration!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export function toTenant(entity: TenantEntity): Tenant {
  return {
    id: entity.id,
    parentTenantId: entity.parentTenantId,
    slug: entity.slug,
    name: entity.name,
    status: entity.status,
    allowsSelfRegistration: entity.allowsSelfRegistration,
    createdAt: entity.createdAt.toISOString(),
  };
}
