import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { storageClasses, type StorageClass } from '@parley/contracts';

/** A storage class of the `file.storage_classes` table. */
@Entity({ schema: 'file', name: 'storage_classes' })
export class StorageClassEntity {
  @PrimaryColumn({ type: 'enum', enum: storageClasses, enumName: 'storage_class_enum' })
  name!: StorageClass;

  @Column('text')
  description!: string;

  @Column({
    name: 'max_size_bytes',
    type: 'bigint',
    transformer: { to: (value: number) => value, from: (value: string) => Number(value) },
  })
  maxSizeBytes!: number;

  @Column({ name: 'retention_hours', type: 'integer', nullable: true })
  retentionHours!: number | null;

  @Column({ name: 'cache_max_age_seconds', type: 'integer' })
  cacheMaxAgeSeconds!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
