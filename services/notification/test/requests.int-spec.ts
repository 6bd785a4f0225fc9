import { randomUUID } from 'node:crypto';
import { notificationRequests as api, permissionRequests, type Principal } from '@parley/contracts';
import { CatalogRegistration } from '@parley/permissions';
import { eventually, failureOf, startPlatform, type Platform } from './notification.harness.js';

describe('integrations and preferences over NATS', () => {
  let platform: Platform;
  let tenantId: string;
  let admin: Principal;

  beforeAll(async () => {
    platform = await startPlatform();
    tenantId = platform.world.tenant.id;
    admin = platform.world.admin;
  }, 60_000);
  afterAll(() => platform.stop());

  describe('notification.create', () => {
    it('creates one notification per recipient, and nothing more for the same key', async () => {
      const [a, b] = [await platform.user(tenantId), await platform.user(tenantId)] as [Principal, Principal];
      const request = {
        recipientIds: [a.userId, b.userId],
        type: 'assignment_due',
        title: 'Essay due',
        body: 'Hand in your essay by Friday',
        data: { courseId: 'chem-101' },
        priority: 'high' as const,
        idempotencyKey: 'essay-42',
      };
      const first = await platform.call(admin, api.create, request);
      expect(first.items.map((item) => [item.recipientId, item.isNew])).toEqual([
        [a.userId, true],
        [b.userId, true],
      ]);
      const again = await platform.call(admin, api.create, request);
      expect(again.items).toEqual(first.items.map((item) => ({ ...item, isNew: false })));
      expect(await platform.notificationsOf(a.userId)).toEqual([
        expect.objectContaining({
          type: 'assignment_due',
          title: 'Essay due',
          data: { courseId: 'chem-101' },
          source_id: `request:${admin.userId}:essay-42`,
        }),
      ]);
    });

    it('needs notification:notification:create', async () => {
      const someone = await platform.user(tenantId);
      expect(
        await failureOf(
          platform.call(someone, api.create, {
            recipientIds: [someone.userId],
            type: 'assignment_due',
            title: 'Sneaky',
            body: 'Sneaky',
            idempotencyKey: 'k',
          }),
        ),
      ).toMatchObject({ code: 'forbidden', details: { missing: ['notification:notification:create'] } });
    });

    it('refuses recipients outside the tenant or unknown, and leaves out inactive ones', async () => {
      const elsewhere = await platform.user(platform.world.platformTenant.id);
      const stranger = randomUUID();
      const base = { type: 'assignment_due', title: 'T', body: 'B', idempotencyKey: randomUUID() };
      expect(
        await failureOf(
          platform.call(admin, api.create, { ...base, recipientIds: [elsewhere.userId, stranger] }),
        ),
      ).toEqual({ code: 'not_found', details: { recipientIds: [elsewhere.userId, stranger] } });
      const gone = await platform.user(tenantId, { status: 'deleted' });
      const { items } = await platform.call(admin, api.create, { ...base, recipientIds: [gone.userId] });
      expect(items).toEqual([{ recipientId: gone.userId, notificationId: null, isNew: false }]);
    });

    it('refuses bad input with typed errors', async () => {
      const someone = await platform.user(tenantId);
      const base = {
        recipientIds: [someone.userId],
        type: 'assignment_due',
        title: 'T',
        body: 'B',
        idempotencyKey: 'key',
      };
      const cases: Array<[unknown, string]> = [
        [{ ...base, type: 'mention' }, 'validation_failed'],
        [{ ...base, type: 'Not Snake' }, 'validation_failed'],
        [{ ...base, title: '' }, 'validation_failed'],
        [{ ...base, body: 'x'.repeat(2001) }, 'validation_failed'],
        [{ ...base, priority: 'critical' }, 'validation_failed'],
        [{ ...base, idempotencyKey: 'no spaces' }, 'validation_failed'],
        [{ ...base, recipientIds: [] }, 'validation_failed'],
        [{ ...base, recipientIds: [someone.userId, someone.userId] }, 'validation_failed'],
        [{ ...base, recipientIds: Array.from({ length: 1001 }, () => randomUUID()) }, 'limit_exceeded'],
        [{ ...base, data: { blob: 'x'.repeat(5000) } }, 'limit_exceeded'],
      ];
      for (const [payload, code] of cases) {
        expect(await failureOf(platform.send(admin, api.create, payload))).toMatchObject({ code });
      }
      expect(
        await failureOf(platform.send(admin, api.create, { ...base, data: { blob: 'x'.repeat(5000) } })),
      ).toMatchObject({ details: { limit: 'data_bytes', max: 4096 } });
    });
  });

  describe('preferences', () => {
    it('start from the platform defaults', async () => {
      const someone = await platform.user(tenantId);
      const view = await platform.call(someone, api.getPreferences, {});
      expect(view.quietHours).toBeNull();
      expect(view.quietHoursSource).toBe('default');
      expect(view.items).toContainEqual({
        type: 'message',
        channel: 'in_app',
        isEnabled: true,
        source: 'default',
      });
      expect(view.items).toContainEqual({
        type: 'message',
        channel: 'email',
        isEnabled: false,
        source: 'default',
      });
      expect(view.items).toContainEqual({
        type: 'mention',
        channel: 'email',
        isEnabled: true,
        source: 'default',
      });
    });

    it('keep a user’s choices and quiet hours until removed', async () => {
      const someone = await platform.user(tenantId);
      const view = await platform.call(someone, api.setPreferences, {
        items: [
          { type: 'reaction', channel: 'in_app', isEnabled: false },
          { type: 'assignment_due', channel: 'email', isEnabled: true },
        ],
        quietHours: { start: '22:00', end: '07:30', timeZone: 'Europe/Paris' },
      });
      expect(view.items).toContainEqual({
        type: 'reaction',
        channel: 'in_app',
        isEnabled: false,
        source: 'user',
      });
      expect(view.items).toContainEqual({
        type: 'assignment_due',
        channel: 'email',
        isEnabled: true,
        source: 'user',
      });
      expect(view.items).toContainEqual({
        type: 'assignment_due',
        channel: 'in_app',
        isEnabled: true,
        source: 'default',
      });
      expect(view).toMatchObject({
        quietHours: { start: '22:00', end: '07:30', timeZone: 'Europe/Paris' },
        quietHoursSource: 'user',
      });
      // Changing one choice leaves the others; null removes a choice and the quiet hours.
      const changed = await platform.call(someone, api.setPreferences, {
        items: [{ type: 'reaction', channel: 'in_app', isEnabled: null }],
        quietHours: null,
      });
      expect(changed.items).toContainEqual({
        type: 'reaction',
        channel: 'in_app',
        isEnabled: true,
        source: 'default',
      });
      expect(changed.items).toContainEqual({
        type: 'assignment_due',
        channel: 'email',
        isEnabled: true,
        source: 'user',
      });
      expect(changed.quietHours).toBeNull();
      // Choices are a user's own: another user sees only the built-in types, at their defaults.
      const other = await platform.user(tenantId);
      const theirs = await platform.call(other, api.getPreferences, {});
      expect(theirs.items.filter((item) => item.source !== 'default')).toEqual([]);
      expect(theirs.items.some((item) => item.type === 'assignment_due')).toBe(false);
    });

    it('fall back to the tenant defaults, which need notification:tenant-preference:update', async () => {
      const someone = await platform.user(tenantId);
      const change = {
        items: [{ type: 'broadcast', channel: 'email' as const, isEnabled: false }],
        quietHours: { start: '20:00', end: '08:00', timeZone: 'UTC' },
      };
      // A person without the permission is refused; a tenant administrator holds it through
      // tenant-administrator, and so does anyone the administrator assigns it to.
      expect(await failureOf(platform.call(someone, api.setTenantPreferences, change))).toMatchObject({
        code: 'forbidden',
        details: { missing: ['notification:tenant-preference:update'] },
      });
      await platform.notification.get(CatalogRegistration).registered;
      await expect(platform.call(admin, api.setTenantPreferences, change)).resolves.toBeDefined();
      const deputy = await platform.user(tenantId);
      await platform.call(admin, permissionRequests.createAssignment, {
        actorId: deputy.userId,
        permission: 'notification:tenant-preference:update',
      });
      const defaults = await eventually(
        () => failureOf(platform.call(deputy, api.setTenantPreferences, change)),
        (outcome) => outcome === 'resolved',
        35_000,
      );
      expect(defaults).toBe('resolved');
      expect(await platform.call(admin, api.getTenantPreferences, {})).toEqual({
        items: [{ type: 'broadcast', channel: 'email', isEnabled: false }],
        quietHours: { start: '20:00', end: '08:00', timeZone: 'UTC' },
      });
      const view = await platform.call(someone, api.getPreferences, {});
      expect(view.items).toContainEqual({
        type: 'broadcast',
        channel: 'email',
        isEnabled: false,
        source: 'tenant',
      });
      expect(view).toMatchObject({
        quietHours: { start: '20:00', end: '08:00' },
        quietHoursSource: 'tenant',
      });
      // A user's own choice wins over the tenant's.
      const own = await platform.call(someone, api.setPreferences, {
        items: [{ type: 'broadcast', channel: 'email', isEnabled: true }],
      });
      expect(own.items).toContainEqual({
        type: 'broadcast',
        channel: 'email',
        isEnabled: true,
        source: 'user',
      });
      // Tenant defaults of one tenant never reach another.
      const elsewhere = await platform.user(platform.world.platformTenant.id);
      expect((await platform.call(elsewhere, api.getPreferences, {})).quietHoursSource).toBe('default');
    }, 60_000);

    it('refuse bad input with typed errors', async () => {
      const someone = await platform.user(tenantId);
      const cases: Array<[unknown, string]> = [
        [{ quietHours: { start: '25:00', end: '07:00' } }, 'validation_failed'],
        [{ quietHours: { start: '07:00', end: '07:00' } }, 'validation_failed'],
        [{ quietHours: { start: '22:00', end: '07:00', timeZone: 'Mars/Olympus' } }, 'validation_failed'],
        [{ items: [{ type: 'message', channel: 'sms', isEnabled: true }] }, 'validation_failed'],
        [
          {
            items: [
              { type: 'message', channel: 'email', isEnabled: true },
              { type: 'message', channel: 'email', isEnabled: false },
            ],
          },
          'validation_failed',
        ],
        [
          {
            items: Array.from({ length: 101 }, (_, i) => ({
              type: `kind_${i}`,
              channel: 'email',
              isEnabled: true,
            })),
          },
          'limit_exceeded',
        ],
      ];
      for (const [payload, code] of cases) {
        expect(await failureOf(platform.send(someone, api.setPreferences, payload))).toMatchObject({ code });
      }
    });
  });
});
