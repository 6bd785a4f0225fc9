import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Tenant, User } from '@parley/contracts';

/** A user as this service knows them. */
export interface KnownUser {
  user_id: string;
  tenant_id: string;
  kind: User['kind'];
  status: User['status'];
  email: string;
  full_name: string;
}

/** The local copies of identity's tenants and users. */
@Injectable()
export class DirectoryRepository {
  /** Records a tenant once; a repeated event changes nothing. */
  async recordTenant(manager: EntityManager, tenant: Pick<Tenant, 'id' | 'slug'>): Promise<void> {
    await manager.query(
      `INSERT INTO notification.tenants (tenant_id, slug) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [tenant.id, tenant.slug],
    );
  }

  /**
   * Records a user, or brings the copy up to the event's version. An event older than the copy
   * (identity's updatedAt) changes nothing, so events arriving out of order end in the newest state.
   */
  async recordUser(manager: EntityManager, user: User): Promise<void> {
    await manager.query(
      `INSERT INTO notification.users (user_id, tenant_id, kind, status, email, full_name, identity_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (user_id) DO UPDATE SET
         kind = EXCLUDED.kind, status = EXCLUDED.status, email = EXCLUDED.email,
         full_name = EXCLUDED.full_name, identity_updated_at = EXCLUDED.identity_updated_at
       WHERE users.identity_updated_at <= EXCLUDED.identity_updated_at`,
      [user.id, user.tenantId, user.kind, user.status, user.email, user.fullName, user.updatedAt],
    );
  }

  async findTenantBySlug(manager: EntityManager, slug: string): Promise<string | undefined> {
    const rows: Array<{ tenant_id: string }> = await manager.query(
      `SELECT tenant_id FROM notification.tenants WHERE slug = $1`,
      [slug],
    );
    return rows[0]?.tenant_id;
  }

  /** Which of the tenants are known. */
  async knownTenants(manager: EntityManager, tenantIds: readonly string[]): Promise<Set<string>> {
    const rows: Array<{ tenant_id: string }> = await manager.query(
      `SELECT tenant_id FROM notification.tenants WHERE tenant_id = ANY($1::uuid[])`,
      [tenantIds],
    );
    return new Set(rows.map((row) => row.tenant_id));
  }

  /** Every tenant known, in id order. */
  async allTenants(manager: EntityManager): Promise<string[]> {
    const rows: Array<{ tenant_id: string }> = await manager.query(
      `SELECT tenant_id FROM notification.tenants ORDER BY tenant_id`,
    );
    return rows.map((row) => row.tenant_id);
  }

  async findUsers(manager: EntityManager, userIds: readonly string[]): Promise<Map<string, KnownUser>> {
    const rows: KnownUser[] = await manager.query(
      `SELECT user_id, tenant_id, kind, status, email, full_name FROM notification.users
       WHERE user_id = ANY($1::uuid[])`,
      [userIds],
    );
    return new Map(rows.map((row) => [row.user_id, row]));
  }

  /**
   * The next users a broadcast reaches in a tenant, after `afterUserId` in id order: active
   * people and bots (service accounts are integrations, not readers).
   */
  async nextReachable(
    manager: EntityManager,
    tenantId: string,
    afterUserId: string | null,
    limit: number,
  ): Promise<string[]> {
    const rows: Array<{ user_id: string }> = await manager.query(
      `SELECT user_id FROM notification.users
       WHERE tenant_id = $1 AND status = 'active' AND kind <> 'service'
         AND ($2::uuid IS NULL OR user_id > $2::uuid)
       ORDER BY user_id
       LIMIT $3`,
      [tenantId, afterUserId, limit],
    );
    return rows.map((row) => row.user_id);
  }
}

/** How notifications name a user: their full name, or a neutral word when the copy lacks them. */
export function displayName(users: ReadonlyMap<string, KnownUser>, userId: string | null): string {
  return (userId === null ? undefined : users.get(userId)?.full_name) ?? 'Someone';
}
