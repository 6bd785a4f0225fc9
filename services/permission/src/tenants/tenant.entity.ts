import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A tenant as identity announced it (tenant.created); kept to recognise the platform tenant. */
@Entity({ schema: 'permission', name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'parent_tenant_id', type: 'uuid', nullable: true })
  parentTenantId!: string | null;

  @Column('text')
  slug!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
