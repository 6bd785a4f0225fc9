import type { EntityManager } from 'typeorm';

export interface ThrottleSettings {
  maxFailures: number;
  lockBaseMs: number;
  lockMaxMs: number;
}

/**
 * Failed-login counting per tenant and email (whether or not the email exists): after
 * `maxFailures` failures the email is locked, for `lockBaseMs` doubling with each further failure
 * up to `lockMaxMs`. A successful login clears the count.
 */
export class LoginThrottle {
  constructor(private readonly settings: ThrottleSettings) {}

  /** When the email is locked, the time the lock ends; otherwise undefined. */
  async lockedUntil(
    manager: EntityManager,
    tenantId: string,
    email: string,
    now: Date,
  ): Promise<Date | undefined> {
    const rows = await manager.query<Array<{ lock_ends_at: Date }>>(
      'SELECT lock_ends_at FROM identity.login_throttles WHERE tenant_id = $1 AND email = $2 AND lock_ends_at > $3',
      [tenantId, email, now],
    );
    return rows[0]?.lock_ends_at;
  }

  /** Records a failure; returns the lock end when this failure locked the email. */
  async recordFailure(
    manager: EntityManager,
    tenantId: string,
    email: string,
    now: Date,
  ): Promise<Date | undefined> {
    const { maxFailures, lockBaseMs, lockMaxMs } = this.settings;
    const rows = await manager.query<Array<{ failure_count: number }>>(
      `INSERT INTO identity.login_throttles AS t (tenant_id, email, failure_count, last_failed_at)
       VALUES ($1, $2, 1, $3)
       ON CONFLICT (tenant_id, email) DO UPDATE SET failure_count = t.failure_count + 1, last_failed_at = $3
       RETURNING failure_count`,
      [tenantId, email, now],
    );
    const failures = rows[0]?.failure_count ?? 1;
    if (failures < maxFailures) {
      return undefined;
    }
    const lockMs = Math.min(lockBaseMs * 2 ** Math.min(failures - maxFailures, 20), lockMaxMs);
    const until = new Date(now.getTime() + lockMs);
    await manager.query(
      'UPDATE identity.login_throttles SET lock_ends_at = $3 WHERE tenant_id = $1 AND email = $2',
      [tenantId, email, until],
    );
    return until;
  }

  async clear(manager: EntityManager, tenantId: string, email: string): Promise<void> {
    await manager.query('DELETE FROM identity.login_throttles WHERE tenant_id = $1 AND email = $2', [
      tenantId,
      email,
    ]);
  }
}
