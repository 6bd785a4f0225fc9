import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { resourceTypes, type ResourceType, type ServiceName } from '@parley/contracts';

@Entity({ schema: 'permission', name: 'permission_domains' })
export class PermissionDomainEntity {
  @PrimaryColumn('text')
  domain!: string;

  /** A name of the subject grammar: declarations are checked against it on the way in. */
  @Column('text')
  service!: ServiceName;

  @Column('text')
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

@Entity({ schema: 'permission', name: 'permissions' })
export class PermissionEntity {
  @PrimaryColumn('text')
  permission!: string;

  @Column({ name: 'permission_domain_id', type: 'text' })
  domain!: string;

  /** A name of the subject grammar: declarations are checked against it on the way in. */
  @Column('text')
  service!: ServiceName;

  @Column('text')
  description!: string;

  @Column({
    name: 'resource_types',
    type: 'enum',
    enum: resourceTypes,
    enumName: 'resource_type_enum',
    array: true,
  })
  resourceTypes!: ResourceType[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
