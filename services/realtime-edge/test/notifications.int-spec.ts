import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { realtimeCommands as commands, type Notification, type Tenant } from '@parley/contracts';
import type { TestDatabase } from '@parley/testing';
import { startNotification } from '../../notification/src/notification.app.js';
import {
  migratedNotificationDatabase,
  testNotificationConfig,
} from '../../notification/test/notification.harness.js';
import { command, Inbox, succeed } from './edge.harness.js';
import { startEdgePlatform, type EdgePlatform, type Person } from './platform.harness.js';

/**
 * The inbox through the edge: identity, permission, conversation and notification as deployed,
 * and an edge instance; the client reads and changes its notifications with socket commands and
 * hears of new ones in its user room.
 */
describe('notifications through the edge', () => {
  let world: EdgePlatform;
  let database: TestDatabase;
  let notification: INestApplication;
  let tenant: Tenant;
  let alice: Person;
  let bob: Person;

  beforeAll(async () => {
    world = await startEdgePlatform(1);
    database = await migratedNotificationDatabase();
    notification = await startNotification(testNotificationConfig(database, world.platform.namespace.prefix));
    tenant = await world.tenant();
    alice = await world.person(tenant, 'Alice');
    bob = await world.person(tenant, 'Bob');
  });
  afterAll(async () => {
    await notification?.close();
    await world?.stop();
    await database?.drop();
  });

  it('pushes notification:new and notification:count, and answers the inbox commands', async () => {
    const sender = await world.socket(world.edges[0]!, alice);
    const receiver = await world.socket(world.edges[0]!, bob);
    const inbox = new Inbox(receiver);
    await succeed(sender, commands.messageSend, {
      toUserId: bob.id,
      clientMessageId: randomUUID(),
      body: 'Are you coming tomorrow?',
    });
    const [arrived] = await inbox.waitFor<{ notification: Notification; unreadCount: number }>(
      'notification:new',
      1,
      () => true,
      20_000,
    );
    expect(arrived).toMatchObject({ notification: { recipientId: bob.id, type: 'message' }, unreadCount: 1 });
    const notificationId = arrived!.notification.id;

    await expect(succeed(receiver, commands.notificationCount, {})).resolves.toEqual({ unreadCount: 1 });
    const page = await succeed(receiver, commands.notificationList, { unreadOnly: true });
    expect(page.items.map((item) => item.id)).toEqual([notificationId]);

    const read = await succeed(receiver, commands.notificationRead, { notificationId });
    expect(read).toMatchObject({ notification: { id: notificationId, status: 'read' }, unreadCount: 0 });
    const [counted] = await inbox.waitFor<{ change: string; unreadCount: number }>('notification:count');
    expect(counted).toMatchObject({ notificationId, change: 'read', unreadCount: 0 });
    await expect(succeed(receiver, commands.notificationReadAll, {})).resolves.toEqual({
      markedCount: 0,
      unreadCount: 0,
    });
    await expect(succeed(receiver, commands.notificationDismiss, { notificationId })).resolves.toMatchObject({
      notification: { status: 'dismissed' },
    });

    // Someone else's notification does not exist for the sender.
    const refused = await command(sender, commands.notificationRead, { notificationId });
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
    // Nor does the sender get a notification of its own message.
    await expect(succeed(sender, commands.notificationCount, {})).resolves.toEqual({ unreadCount: 0 });
  });
});
