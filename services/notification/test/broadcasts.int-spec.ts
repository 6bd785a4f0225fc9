import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { randomUUID } from 'node:crypto';
import {
  notificationRequests as api,
  permissionRequests,
  type Broadcast,
  type Principal,
} from '@parley/contracts';
import { eventually, failureOf, startPlatform, type Platform } from './notification.harness.js';

// The garbage collector on demand, so that samples count what is held.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Users straight into the service's copy, as 10,000 user.created events would leave it. */
async function seedUsers(platform: Platform, tenantId: string, count: number): Promise<void> {
  await platform.sql(
    `INSERT INTO notification.users (user_id, tenant_id, kind, status, email, full_name, identity_updated_at)
     SELECT gen_random_uuid(), $1, 'person', 'active', 'user' || n || '@example.test', 'User ' || n, now()
     FROM generate_series(1, $2) AS n`,
    [tenantId, count],
  );
}

describe('broadcasts and system alerts', () => {
  let platform: Platform;
  let tenantId: string;
  let admin: Principal;

  const finished = async (as: Principal, broadcastId: string, timeoutMs = 60_000): Promise<Broadcast> =>
    eventually(
      () => platform.call(as, api.getBroadcast, { broadcastId }),
      (job) => job.status === 'completed',
      timeoutMs,
    );

  const countOf = async (sql: string, values: unknown[]): Promise<number> =>
    Number((await platform.sql<{ count: string }>(sql, values))[0]?.count);

  beforeAll(async () => {
    platform = await startPlatform();
    tenantId = platform.world.tenant.id;
    admin = platform.world.admin;
    await seedUsers(platform, tenantId, 10_000);
    // Neither service accounts nor suspended users receive broadcasts.
    await platform.user(tenantId, { kind: 'service' });
    await platform.user(tenantId, { status: 'suspended' });
  }, 60_000);
  afterAll(() => platform.stop());

  it('reaches 10,000 users once each, in batches, with bounded memory', async () => {
    // The baseline after a garbage collection; samples are cheap (no collection), so they never
    // slow the broadcast they measure, and count garbage too: the bound is generous for that.
    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const job = await platform.call(admin, api.sendBroadcast, {
      title: 'Campus closed',
      body: 'The campus is closed on Monday',
      priority: 'high',
      idempotencyKey: 'closure-1',
    });
    expect(job).toMatchObject({ kind: 'broadcast', tenantId, alertId: null, senderId: admin.userId });
    const done = await finished(admin, job.id);
    clearInterval(sampler);
    const growthMb = (peak - baseline) / 2 ** 20;
    expect(done).toMatchObject({ status: 'completed', recipientCount: 10_000 });
    expect(done.completedAt).not.toBeNull();
    expect(
      await countOf(
        `SELECT count(DISTINCT recipient_id) FROM notification.notifications
         WHERE source_id = $1 AND type = 'broadcast' AND is_listed AND title = 'Campus closed'`,
        [`broadcast:${job.id}`],
      ),
    ).toBe(10_000);
    expect(
      await countOf(`SELECT count(*) FROM notification.notifications WHERE source_id = $1`, [
        `broadcast:${job.id}`,
      ]),
    ).toBe(10_000);
    expect(
      await countOf(`SELECT count(*) FROM notification.inboxes WHERE tenant_id = $1 AND unread_count = 1`, [
        tenantId,
      ]),
    ).toBe(10_000);
    // One batch in memory at a time: 10,000 users and their events never sit in the heap at once.
    expect(growthMb).toBeLessThan(128);
    // Sending again with the same key returns the same job and notifies nobody again.
    const again = await platform.call(admin, api.sendBroadcast, {
      title: 'Campus closed',
      body: 'The campus is closed on Monday',
      idempotencyKey: 'closure-1',
    });
    expect(again.id).toBe(job.id);
  }, 120_000);

  it('resumes an interrupted fan-out where it stopped, notifying nobody twice', async () => {
    const job = await platform.call(admin, api.sendBroadcast, {
      title: 'Second notice',
      body: 'Still closed',
      idempotencyKey: 'closure-2',
    });
    await eventually(
      () => platform.call(admin, api.getBroadcast, { broadcastId: job.id }),
      (progress) => progress.recipientCount > 0,
      30_000,
    );
    // The instance goes away mid-way; another one picks the job up from its cursor.
    let stoppedAt = 0;
    await platform.restart(async () => {
      const [row] = await platform.sql<{ recipient_count: number; status: string }>(
        'SELECT recipient_count, status FROM notification.broadcasts WHERE id = $1',
        [job.id],
      );
      stoppedAt = row?.recipient_count ?? 0;
    });
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(10_000);
    expect(await finished(admin, job.id)).toMatchObject({ recipientCount: 10_000 });
    expect(
      await countOf(
        `SELECT count(DISTINCT recipient_id) FROM notification.notifications WHERE source_id = $1`,
        [`broadcast:${job.id}`],
      ),
    ).toBe(10_000);
  }, 120_000);

  it('needs notification:broadcast:send, and shows a job only to its own tenant', async () => {
    const someone = await platform.user(tenantId);
    expect(
      await failureOf(
        platform.call(someone, api.sendBroadcast, { title: 'T', body: 'B', idempotencyKey: 'k' }),
      ),
    ).toMatchObject({ code: 'forbidden' });
    const [job] = await platform.sql<{ id: string }>('SELECT id FROM notification.broadcasts LIMIT 1');
    expect(
      await failureOf(
        platform.call(platform.world.operator, api.getBroadcast, { broadcastId: job?.id as string }),
      ),
    ).toEqual({
      code: 'not_found',
      details: { broadcastId: job?.id },
    });
  });

  describe('system alerts', () => {
    it('reach the users of every tenant known, from the platform tenant', async () => {
      const other = await platform.user(platform.world.platformTenant.id);
      const sent = await platform.call(platform.world.operator, api.sendAlert, {
        title: 'Maintenance tonight',
        body: 'Parley is down from 22:00 to 23:00 UTC',
        priority: 'urgent',
        idempotencyKey: 'maintenance-1',
      });
      expect(sent.broadcasts.map((job) => job.tenantId).sort()).toEqual(
        [tenantId, platform.world.platformTenant.id].sort(),
      );
      expect(sent.broadcasts.every((job) => job.kind === 'alert' && job.alertId === sent.alertId)).toBe(true);
      for (const job of sent.broadcasts) {
        await finished(platform.world.operator, job.id);
      }
      expect(
        (await platform.notificationsOf(other.userId)).map((row) => [row.type, row.data['alertId']]),
      ).toEqual([['alert', sent.alertId]]);
      const again = await platform.call(platform.world.operator, api.sendAlert, {
        title: 'Maintenance tonight',
        body: 'Parley is down from 22:00 to 23:00 UTC',
        idempotencyKey: 'maintenance-1',
      });
      expect(again.alertId).toBe(sent.alertId);
    }, 120_000);

    it('reach only the tenants named, which must be known', async () => {
      const named = await platform.call(platform.world.operator, api.sendAlert, {
        tenantIds: [platform.world.platformTenant.id],
        title: 'Operators only',
        body: 'Nothing for the school',
        idempotencyKey: 'operators-1',
      });
      expect(named.broadcasts.map((job) => job.tenantId)).toEqual([platform.world.platformTenant.id]);
      const unknown = randomUUID();
      expect(
        await failureOf(
          platform.call(platform.world.operator, api.sendAlert, {
            tenantIds: [unknown],
            title: 'T',
            body: 'B',
            idempotencyKey: 'unknown-1',
          }),
        ),
      ).toEqual({ code: 'not_found', details: { tenantIds: [unknown] } });
      expect(
        await failureOf(
          platform.send(platform.world.operator, api.sendAlert, {
            tenantIds: Array.from({ length: 1001 }, () => randomUUID()),
            title: 'T',
            body: 'B',
            idempotencyKey: 'many-1',
          }),
        ),
      ).toMatchObject({ code: 'limit_exceeded', details: { limit: 'alert_tenants' } });
    });

    it('are refused to tenants, and sent only from the tenant the service knows as the platform', async () => {
      const alert = { title: 'Fake alert', body: 'Not from the platform', idempotencyKey: 'fake-1' };
      expect(await failureOf(platform.call(admin, api.sendAlert, alert))).toMatchObject({
        code: 'forbidden',
        details: { missing: ['notification:alert:send'] },
      });
      // The permission service keeps the permission in the platform tenant…
      expect(
        await failureOf(
          platform.call(admin, permissionRequests.createAssignment, {
            actorId: admin.userId,
            permission: 'notification:alert:send',
          }),
        ),
      ).toMatchObject({ code: 'forbidden' });
      // …and this service checks the sender's tenant itself: without its record of the platform
      // tenant, not even an operator sends an alert.
      const platformTenant = platform.world.platformTenant;
      await platform.sql('DELETE FROM notification.tenants WHERE tenant_id = $1', [platformTenant.id]);
      try {
        expect(await failureOf(platform.call(platform.world.operator, api.sendAlert, alert))).toEqual({
          code: 'forbidden',
          details: { reason: 'not_platform_tenant' },
        });
      } finally {
        await platform.sql('INSERT INTO notification.tenants (tenant_id, slug) VALUES ($1, $2)', [
          platformTenant.id,
          platformTenant.slug,
        ]);
      }
    });
  });
});
