import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { notificationRequests as api, type Principal } from '@parley/contracts';
import { DataSource } from 'typeorm';
import { ConversationsRepository } from '../src/conversations/conversations.repository.js';
import { MaintenanceService } from '../src/maintenance.service.js';
import { firstIdAt, InboxRepository } from '../src/notifications/inbox.repository.js';
import { eventsMatching, failureOf, startPlatform, type Platform } from './notification.harness.js';

describe('the inbox over NATS', () => {
  let platform: Platform;
  let tenantId: string;
  let integration: Principal;

  /** Notifications for a user through the integration request, one per key. */
  async function notify(recipient: Principal, count: number, prefix = randomUUID()): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const { items } = await platform.call(integration, api.create, {
        recipientIds: [recipient.userId],
        type: 'assignment_due',
        title: `Assignment ${i}`,
        body: 'Due tomorrow',
        idempotencyKey: `${prefix}-${i}`,
      });
      ids.push(items[0]?.notificationId as string);
    }
    return ids;
  }

  beforeAll(async () => {
    platform = await startPlatform();
    tenantId = platform.world.tenant.id;
    // The tenant's first administrator holds notification:notification:create (tenant-administrator).
    integration = platform.world.admin;
  }, 60_000);
  afterAll(() => platform.stop());

  it('lists newest first, page by page, and counts the unread', async () => {
    const reader = await platform.user(tenantId);
    const ids = await notify(reader, 5);
    const first = await platform.call(reader, api.list, { limit: 2 });
    expect(first.items.map((item) => item.id)).toEqual([ids[4], ids[3]]);
    expect(first.items[0]).toMatchObject({
      recipientId: reader.userId,
      tenantId,
      type: 'assignment_due',
      title: 'Assignment 4',
      status: 'new',
      priority: 'normal',
      actorId: integration.userId,
      readAt: null,
    });
    const second = await platform.call(reader, api.list, { limit: 2, cursor: first.nextCursor ?? undefined });
    const third = await platform.call(reader, api.list, { limit: 2, cursor: second.nextCursor ?? undefined });
    expect(second.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    expect(third.items.map((item) => item.id)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();
    expect(await platform.call(reader, api.count, {})).toEqual({ unreadCount: 5 });
  });

  it('marks read and dismisses, once, moving the count and telling the edge', async () => {
    const reader = await platform.user(tenantId);
    const [a, b, c] = await notify(reader, 3);
    const read = await platform.call(reader, api.markRead, { notificationId: a as string });
    expect(read).toMatchObject({ notification: { id: a, status: 'read' }, unreadCount: 2 });
    expect(read.notification.readAt).not.toBeNull();
    // Again: nothing changes.
    expect(await platform.call(reader, api.markRead, { notificationId: a as string })).toMatchObject({
      unreadCount: 2,
      notification: { readAt: read.notification.readAt },
    });
    const dismissedRead = await platform.call(reader, api.dismiss, { notificationId: a as string });
    expect(dismissedRead).toMatchObject({ notification: { status: 'dismissed' }, unreadCount: 2 });
    const dismissedNew = await platform.call(reader, api.dismiss, { notificationId: b as string });
    expect(dismissedNew.unreadCount).toBe(1);
    expect((await platform.call(reader, api.dismiss, { notificationId: b as string })).unreadCount).toBe(1);
    // Dismissed ones leave the list unless asked for; the unread filter shows only c.
    const listed = await platform.call(reader, api.list, {});
    expect(listed.items.map((item) => item.id)).toEqual([c]);
    const all = await platform.call(reader, api.list, { includeDismissed: true });
    expect(all.items.map((item) => item.id)).toEqual([c, b, a]);
    const unread = await platform.call(reader, api.list, { unreadOnly: true, includeDismissed: true });
    expect(unread.items.map((item) => item.id)).toEqual([c]);
    const events = await eventsMatching(
      platform,
      (event) =>
        (event.type === 'notification.read' || event.type === 'notification.dismissed') &&
        event.payload['recipientId'] === reader.userId,
      3,
    );
    expect(
      events.map((event) => [event.type, event.payload['notificationId'], event.payload['unreadCount']]),
    ).toEqual([
      ['notification.read', a, 2],
      ['notification.dismissed', a, 2],
      ['notification.dismissed', b, 1],
    ]);
  });

  it('marks all read at once', async () => {
    const reader = await platform.user(tenantId);
    await notify(reader, 4);
    expect(await platform.call(reader, api.markAllRead, {})).toEqual({ markedCount: 4, unreadCount: 0 });
    expect(await platform.call(reader, api.markAllRead, {})).toEqual({ markedCount: 0, unreadCount: 0 });
    expect((await platform.call(reader, api.list, { unreadOnly: true })).items).toEqual([]);
    const [event] = await eventsMatching(
      platform,
      (candidate) =>
        candidate.type === 'notification.read' && candidate.payload['recipientId'] === reader.userId,
    );
    expect(event?.payload).toMatchObject({ notificationId: null, unreadCount: 0 });
  });

  it('keeps the count right under concurrent reads and dismissals', async () => {
    const reader = await platform.user(tenantId);
    const ids = await notify(reader, 30);
    // Each notification is read and dismissed at the same time, some twice over.
    const operations = ids.flatMap((id, index) => [
      platform.call(reader, api.markRead, { notificationId: id }),
      platform.call(reader, api.dismiss, { notificationId: id }),
      ...(index % 3 === 0 ? [platform.call(reader, api.markRead, { notificationId: id })] : []),
    ]);
    const results = await Promise.all(operations);
    expect(await platform.call(reader, api.count, {})).toEqual({ unreadCount: 0 });
    const [stored] = await platform.sql<{ unread_count: number; actual: string }>(
      `SELECT i.unread_count, (SELECT count(*) FROM notification.notifications n
         WHERE n.recipient_id = i.recipient_id AND n.is_listed AND n.status = 'new') AS actual
       FROM notification.inboxes i WHERE i.recipient_id = $1`,
      [reader.userId],
    );
    expect(stored).toEqual({ unread_count: 0, actual: '0' });
    // Every count handed out was the truth at its moment: the 30 changes that moved it left
    // 29, 28, … 0 behind, each once, and the others repeated the count they found.
    const everyCount = new Set(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(results.map((result) => result.unreadCount))).toEqual(everyCount);
    // Each notification is dismissed exactly once; the reads that moved the count came before.
    await eventsMatching(
      platform,
      (event) => event.type === 'notification.dismissed' && event.payload['recipientId'] === reader.userId,
      30,
    );
    const changes = (await platform.events()).filter(
      (event) =>
        ['notification.read', 'notification.dismissed'].includes(event.type) &&
        event.payload['recipientId'] === reader.userId,
    );
    expect(new Set(changes.map((event) => event.payload['unreadCount']))).toEqual(everyCount);
  });

  it('deletes read, dismissed and email-only notifications past retention, never unread ones', async () => {
    const reader = await platform.user(tenantId);
    const [kept, read, dismissed] = await notify(reader, 3);
    await platform.call(reader, api.markRead, { notificationId: read as string });
    await platform.call(reader, api.dismiss, { notificationId: dismissed as string });
    // One the reader wanted by email only: never in the inbox, so never read there.
    const [emailOnly] = await platform.sql<{ id: string }>(
      `INSERT INTO notification.notifications
         (tenant_id, recipient_id, type, title, body, priority, source_id, is_listed)
       VALUES ($1, $2, 'message', 'By email', 'Only by email', 'normal', $3, false) RETURNING id`,
      [tenantId, reader.userId, `request:test:${randomUUID()}`],
    );
    // The read one went out by email too: its delivery goes with it.
    await platform.sql(
      `INSERT INTO notification.deliveries
         (notification_id, tenant_id, recipient_id, channel, status, attempts, next_attempt_at, sent_at)
       VALUES ($1, $2, $3, 'email', 'sent', 1, now(), now())`,
      [read, tenantId, reader.userId],
    );
    // Within retention (90 days by default) nothing goes.
    const maintenance = platform.notification.get(MaintenanceService);
    expect(await maintenance.prune()).toMatchObject({ notifications: 0, failed: [] });
    // Past it (as if the three were older than the cut-off), in batches.
    const inbox = platform.notification.get(InboxRepository);
    const manager = platform.notification.get(DataSource).manager;
    const later = new Date(Date.now() + 60_000);
    const [settled] = await platform.sql<{ count: string }>(
      `SELECT count(*) AS count FROM notification.notifications WHERE status <> 'new' OR NOT is_listed`,
    );
    let deleted = 0;
    for (let batch = 1; batch > 0; deleted += batch) {
      batch = await inbox.pruneSettled(manager, later, 1);
    }
    // Every settled notification of the database is past the cut-off; this reader's three among them.
    expect(deleted).toBe(Number(settled?.count));
    expect(deleted).toBeGreaterThanOrEqual(3);
    const [gone] = await platform.sql<{ count: string }>(
      'SELECT count(*) AS count FROM notification.notifications WHERE id = $1',
      [emailOnly?.id],
    );
    expect(gone?.count).toBe('0');
    const left = await platform.call(reader, api.list, { includeDismissed: true });
    expect(left.items.map((item) => item.id)).toEqual([kept]);
    expect(await platform.call(reader, api.count, {})).toEqual({ unreadCount: 1 });
    const deliveries = await platform.sql<{ count: string }>(
      'SELECT count(*) AS count FROM notification.deliveries WHERE notification_id = ANY($1::uuid[])',
      [[read, dismissed]],
    );
    expect(deliveries[0]?.count).toBe('0');
  });

  it('prunes each kind on its own: one that fails leaves the others to run', async () => {
    const maintenance = platform.notification.get(MaintenanceService);
    const inbox = platform.notification.get(InboxRepository);
    const senders = platform.notification.get(ConversationsRepository);
    // A full first batch, then a failure: what was deleted stays counted.
    jest
      .spyOn(inbox, 'pruneSettled')
      .mockResolvedValueOnce(1000)
      .mockRejectedValueOnce(new Error('lock timeout'));
    const pruneSenders = jest.spyOn(senders, 'pruneSenders');
    try {
      const pruned = await maintenance.prune();
      expect(pruned.failed).toEqual(['notifications']);
      expect(pruned.notifications).toBe(1000);
      expect(pruneSenders).toHaveBeenCalledTimes(1);
      expect(await maintenance.prune()).toMatchObject({ failed: [] });
    } finally {
      // The repositories are the service's own, shared by the tests after this one.
      jest.restoreAllMocks();
    }
  });

  it('finds the oldest notifications by their time-ordered ids', () => {
    expect(firstIdAt(new Date(0x0190a0000000))).toBe('0190a000-0000-7000-8000-000000000000');
    expect(firstIdAt(new Date(-5))).toBe('00000000-0000-7000-8000-000000000000');
  });

  it('treats another user’s notification as not found', async () => {
    const owner = await platform.user(tenantId);
    const other = await platform.user(tenantId);
    const [id] = await notify(owner, 1);
    for (const request of [api.markRead, api.dismiss]) {
      expect(await failureOf(platform.call(other, request, { notificationId: id as string }))).toEqual({
        code: 'not_found',
        details: { notificationId: id },
      });
    }
    expect((await platform.call(other, api.list, {})).items).toEqual([]);
    expect(await platform.call(owner, api.count, {})).toEqual({ unreadCount: 1 });
  });

  it('refuses bad input with typed errors', async () => {
    const reader = await platform.user(tenantId);
    expect(
      await failureOf(platform.send(reader, api.markRead, { notificationId: 'not-a-uuid' })),
    ).toMatchObject({
      code: 'validation_failed',
    });
    expect(await failureOf(platform.send(reader, api.list, { limit: 1000 }))).toMatchObject({
      code: 'validation_failed',
    });
    expect(await failureOf(platform.send(reader, api.list, { cursor: 'garbage' }))).toEqual({
      code: 'validation_failed',
      details: { issues: [{ path: 'cursor', message: 'Not a cursor of this list' }] },
    });
    expect(await failureOf(platform.send(undefined, api.count, {}))).toMatchObject({
      code: 'unauthenticated',
    });
  });
});
