import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { sessionRevocationReasons, type Session } from '@parley/contracts';

export type RevocationReason = (typeof sessionRevocationReasons)[number];

@Entity({ schema: 'identity', name: 'sessions' })
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_refreshed_at', type: 'timestamptz', nullable: true })
  lastRefreshedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({
    name: 'revocation_reason',
    type: 'enum',
    enum: sessionRevocationReasons,
    enumName: 'session_revocation_reason_enum',
    nullable: true,
  })
  revocationReason!: RevocationReason | null;
}

@Entity({ schema: 'identity', name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt!: Date | null;
}

export function toSession(entity: SessionEntity, currentSessionId: string | undefined): Session {
  return {
    id: entity.id,
    userId: entity.userId,
    userAgent: entity.userAgent,
    createdAt: entity.createdAt.toISOString(),
    lastRefreshedAt: entity.lastRefreshedAt?.toISOString() ?? null,
    expiresAt: entity.expiresAt.toISOString(),
    revokedAt: entity.revokedAt?.toISOString() ?? null,
    revocationReason: entity.revocationReason,
    isCurrent: entity.id === currentSessionId,
  };
}
