import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notificationCatalog } from './notification.permissions.js';
import {
  builtInNotificationTypes,
  conversationReaders,
  defaultChannelChoice,
  integrationTypeSchema,
  notificationContentSchema,
  preferenceChangeSchema,
  quietHoursSchema,
} from './notification.schema.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('notification contracts', () => {
  it('declare the permissions the permission service seeds, with the same descriptions', () => {
    const seed = readFileSync(resolve(root, 'sql/permission/0004_seed_notification.sql'), 'utf8');
    const seeded = [
      ...seed.matchAll(
        /\('(notification:[a-z-]+:[a-z-]+)', 'notification', 'notification',\s*'((?:[^']|'')+)'/g,
      ),
    ];
    expect(seeded.length).toBe(notificationCatalog.permissions.length);
    for (const [, permission, quoted] of seeded) {
      const description = quoted!.replaceAll("''", "'");
      expect(notificationCatalog.permissions).toContainEqual({ permission, description, resourceTypes: [] });
    }
  });

  it('leave the built-in types to the platform', () => {
    for (const type of builtInNotificationTypes) {
      expect(integrationTypeSchema.safeParse(type).success).toBe(false);
    }
    expect(integrationTypeSchema.parse('assignment_due')).toBe('assignment_due');
    expect(integrationTypeSchema.safeParse('Assignment-Due').success).toBe(false);
  });

  it('email everything by default but messages and reactions, and list everything', () => {
    expect(defaultChannelChoice('message', 'email')).toBe(false);
    expect(defaultChannelChoice('reaction', 'email')).toBe(false);
    expect(defaultChannelChoice('mention', 'email')).toBe(true);
    expect(defaultChannelChoice('assignment_due', 'email')).toBe(true);
    expect(defaultChannelChoice('message', 'in_app')).toBe(true);
  });

  it('check the content of a notification', () => {
    expect(notificationContentSchema.parse({ title: ' Hi ', body: 'Line\nline' })).toEqual({
      title: 'Hi',
      body: 'Line\nline',
      data: {},
      priority: 'normal',
    });
    expect(notificationContentSchema.safeParse({ title: 'Bell\u0007', body: 'x' }).success).toBe(false);
    expect(notificationContentSchema.safeParse({ title: 'x', body: 'Escape\u001b[2J' }).success).toBe(false);
  });

  it('check quiet hours and preference changes', () => {
    expect(quietHoursSchema.parse({ start: '22:00', end: '07:00' })).toEqual({
      start: '22:00',
      end: '07:00',
      timeZone: 'UTC',
    });
    expect(quietHoursSchema.safeParse({ start: '22:00', end: '22:00' }).success).toBe(false);
    expect(
      quietHoursSchema.safeParse({ start: '22:00', end: '07:00', timeZone: 'Nowhere/Land' }).success,
    ).toBe(false);
    expect(preferenceChangeSchema.parse({})).toEqual({ items: [] });
    expect(
      preferenceChangeSchema.safeParse({
        items: [
          { type: 'message', channel: 'email', isEnabled: true },
          { type: 'message', channel: 'email', isEnabled: null },
        ],
      }).success,
    ).toBe(false);
  });

  it('key conversation readers by tenant, conversation and user', () => {
    const [tenant, conversation, user] = [
      '0190a000-0000-7000-8000-000000000001',
      '0190a000-0000-7000-8000-000000000002',
      '0190a000-0000-7000-8000-000000000003',
    ];
    expect(conversationReaders.key(tenant, conversation, user)).toBe(`${tenant}.${conversation}.${user}`);
    expect(() => conversationReaders.key(tenant, '*', user)).toThrow(/made of UUIDs/);
  });
});
