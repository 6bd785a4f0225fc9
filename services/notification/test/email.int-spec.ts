import { randomUUID } from 'node:crypto';
import { notificationRequests as api, type NotificationPriority, type Principal } from '@parley/contracts';
import { EmailSender } from '../src/email/email-sender.js';
import { clockOf } from '../src/preferences/quiet-hours.js';
import { eventually, eventsMatching, startPlatform, type Platform } from './notification.harness.js';
import { startSmtpServer, type ReceivedEmail, type TestSmtpServer } from './smtp.js';

interface DeliveryRow {
  status: string;
  attempts: number;
  last_error: string | null;
  digest_id: string | null;
  next_attempt_at: Date;
}

describe('email notifications through a real SMTP server', () => {
  let smtp: TestSmtpServer;
  let platform: Platform;
  let tenantId: string;

  /** Creates one notification for the recipient (an integration's), returns its id. */
  async function notify(
    recipient: Principal,
    content: { title?: string; body?: string; priority?: NotificationPriority } = {},
  ): Promise<string> {
    const { items } = await platform.call(platform.world.admin, api.create, {
      recipientIds: [recipient.userId],
      type: 'assignment_due',
      title: content.title ?? 'Essay due',
      body: content.body ?? 'Hand it in by Friday',
      priority: content.priority ?? 'normal',
      idempotencyKey: randomUUID(),
    });
    return items[0]?.notificationId as string;
  }

  const deliveriesOf = (recipient: Principal) =>
    platform.sql<DeliveryRow>(
      `SELECT status, attempts, last_error, digest_id, next_attempt_at FROM notification.deliveries
       WHERE recipient_id = $1 ORDER BY id`,
      [recipient.userId],
    );

  const emailsTo = (recipient: { email: string }): ReceivedEmail[] =>
    smtp.received.filter((email) => email.to.includes(recipient.email));

  async function settled(recipient: Principal, count: number): Promise<DeliveryRow[]> {
    return eventually(
      () => deliveriesOf(recipient),
      (rows) => rows.length === count && rows.every((row) => row.status !== 'pending'),
      15_000,
    );
  }

  async function person(name: string): Promise<Principal & { email: string }> {
    const email = `${name.toLowerCase()}-${randomUUID().slice(0, 6)}@example.test`;
    return { ...(await platform.user(tenantId, { fullName: name, email })), email };
  }

  beforeAll(async () => {
    smtp = await startSmtpServer();
    platform = await startPlatform({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      SMTP_FROM: 'Parley <notifications@parley.test>',
      SMTP_TIMEOUT: '2s',
      NOTIFICATION_APP_URL: 'https://parley.test/inbox',
      NOTIFICATION_EMAIL_DIGEST_WINDOW: '1500ms',
      NOTIFICATION_EMAIL_MAX_ATTEMPTS: '3',
      NOTIFICATION_EMAIL_RETRY_INITIAL: '100ms',
      NOTIFICATION_EMAIL_RETRY_MAX: '300ms',
    });
    tenantId = platform.world.tenant.id;
  }, 60_000);
  afterAll(async () => {
    await platform.stop();
    await smtp.close();
  });

  it('sends the notifications of one digest window in one email, escaped', async () => {
    const ann = await person('Ann');
    await notify(ann, { title: 'Essay <b>due</b>', body: 'Line one\nLine & two' });
    await notify(ann, { title: 'Quiz due' });
    await notify(ann, { title: 'Lab due' });
    const rows = await settled(ann, 3);
    expect(rows.map((row) => row.status)).toEqual(['sent', 'sent', 'sent']);
    expect(new Set(rows.map((row) => row.digest_id)).size).toBe(1);
    const [email] = emailsTo(ann);
    expect(emailsTo(ann)).toHaveLength(1);
    expect(email).toMatchObject({
      from: 'notifications@parley.test',
      subject: '3 new notifications',
      messageId: `<${rows[0]?.digest_id}@parley.notification>`,
    });
    expect(email?.text).toContain('Hello Ann,');
    expect(email?.text).toContain('* Essay <b>due</b>\n  Line one\n  Line & two');
    expect(email?.text).toContain('* Quiz due');
    expect(email?.text).toContain('Open Parley: https://parley.test/inbox');
    expect(email?.html).toContain(
      '<strong>Essay &lt;b&gt;due&lt;/b&gt;</strong><br>Line one<br>Line &amp; two',
    );
    expect(email?.html).not.toContain('<b>due</b>');
  });

  it('sends an urgent notification at once, in an email of its own', async () => {
    const ben = await person('Ben');
    await notify(ben, { title: 'Fire drill', priority: 'urgent' });
    const rows = await settled(ben, 1);
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(emailsTo(ben).map((email) => email.subject)).toEqual(['Fire drill']);
    expect(emailsTo(ben)[0]?.text).toContain('You have a new notification:');
  });

  it('skips the email of a notification read before it was due', async () => {
    const cat = await person('Cat');
    const id = await notify(cat);
    await platform.call(cat, api.markRead, { notificationId: id });
    const rows = await settled(cat, 1);
    expect(rows[0]).toMatchObject({
      status: 'skipped',
      attempts: 0,
      last_error: 'Read in the inbox before the email was due',
    });
    expect(emailsTo(cat)).toEqual([]);
  });

  it('retries a failing server with backoff and sends exactly one email', async () => {
    const dee = await person('Dee');
    smtp.failNext(2);
    await notify(dee, { title: 'Retry me', priority: 'urgent' });
    const rows = await settled(dee, 1);
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(emailsTo(dee).map((email) => email.subject)).toEqual(['Retry me']);
  });

  it('dead-letters an email after the last attempt, and sends it never', async () => {
    const eve = await person('Eve');
    smtp.failNext(1000);
    try {
      await notify(eve, { title: 'Doomed', priority: 'urgent' });
      const rows = await settled(eve, 1);
      expect(rows[0]).toMatchObject({ status: 'dead_lettered', attempts: 3 });
      expect(rows[0]?.last_error).toMatch(/451 Mailbox busy, try again later/);
      const attempts = smtp.attempts;
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(smtp.attempts).toBe(attempts);
    } finally {
      smtp.failNext(0);
    }
    expect(emailsTo(eve)).toEqual([]);
  });

  it('dead-letters at once an email whose recipient the server refuses for good', async () => {
    const gus = await person('Gus');
    smtp.refuseRecipient(gus.email);
    const before = smtp.attempts;
    await notify(gus, { title: 'Nobody home', priority: 'urgent' });
    const rows = await settled(gus, 1);
    expect(rows[0]).toMatchObject({ status: 'dead_lettered', attempts: 1 });
    expect(rows[0]?.last_error).toMatch(/550 No such mailbox here/);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await deliveriesOf(gus))[0]).toMatchObject({ status: 'dead_lettered', attempts: 1 });
    // Refused at RCPT TO: the message itself was never transferred.
    expect(smtp.attempts).toBe(before);
    expect(emailsTo(gus)).toEqual([]);
  });

  it('never sends one delivery twice, however many senders try at once', async () => {
    const fay = await person('Fay');
    await notify(fay, { title: 'Once only' });
    // Three senders besides the service's own poller race for the same due delivery.
    await platform.sql(`UPDATE notification.deliveries SET next_attempt_at = now() WHERE recipient_id = $1`, [
      fay.userId,
    ]);
    const sender = platform.notification.get(EmailSender);
    const outcomes = await Promise.all([
      sender.sendTo(fay.userId),
      sender.sendTo(fay.userId),
      sender.sendTo(fay.userId),
    ]);
    await settled(fay, 1);
    expect(outcomes.filter((outcome) => outcome === 'sent').length).toBeLessThanOrEqual(1);
    expect(outcomes.every((outcome) => outcome === 'sent' || outcome === 'none')).toBe(true);
    expect(emailsTo(fay).map((email) => email.subject)).toEqual(['Once only']);
  });

  it('holds email during quiet hours, except urgent ones, and tells the edge to stay quiet', async () => {
    const gus = await person('Gus');
    const now = new Date();
    const minute = now.getUTCHours() * 60 + now.getUTCMinutes();
    const start = clockOf((minute + 1440 - 60) % 1440);
    const end = clockOf((minute + 60) % 1440);
    await platform.call(gus, api.setPreferences, { quietHours: { start, end, timeZone: 'UTC' } });
    const held = await notify(gus, { title: 'Later please' });
    await notify(gus, { title: 'Now please', priority: 'urgent' });
    const rows = await eventually(
      () => deliveriesOf(gus),
      (found) => found.length === 2 && found[1]?.status === 'sent',
    );
    const wait = (rows[0]?.next_attempt_at.getTime() ?? 0) - now.getTime();
    expect(rows[0]?.status).toBe('pending');
    expect(wait).toBeGreaterThan(58 * 60 * 1000);
    expect(wait).toBeLessThanOrEqual(61 * 60 * 1000);
    expect(emailsTo(gus).map((email) => email.subject)).toEqual(['Now please']);
    const [created] = await eventsMatching(
      platform,
      (event) =>
        event.type === 'notification.created' &&
        (event.payload['notification'] as { id: string }).id === held,
    );
    expect(created?.payload['isQuiet']).toBe(true);
  });

  it('emails a type kept out of the inbox without listing or counting it', async () => {
    const hal = await person('Hal');
    await platform.call(hal, api.setPreferences, {
      items: [{ type: 'assignment_due', channel: 'in_app', isEnabled: false }],
    });
    await notify(hal, { title: 'Email only', priority: 'urgent' });
    await settled(hal, 1);
    expect(emailsTo(hal).map((email) => email.subject)).toEqual(['Email only']);
    expect(await platform.call(hal, api.list, {})).toEqual({ items: [], nextCursor: null });
    expect(await platform.call(hal, api.count, {})).toEqual({ unreadCount: 0 });
    expect((await platform.notificationsOf(hal.userId)).map((row) => row.is_listed)).toEqual([false]);
  });

  it('waits for a recipient it does not know yet, and skips one who left', async () => {
    const ivy = await person('Ivy');
    const jon = await person('Jon');
    const [ivyCopy] = await platform.sql(`SELECT * FROM notification.users WHERE user_id = $1`, [ivy.userId]);
    await notify(ivy, { title: 'Hello Ivy' });
    // The copy is gone by the time the email is due, as if identity's event had not arrived yet.
    await platform.sql(`DELETE FROM notification.users WHERE user_id = $1`, [ivy.userId]);
    await platform.sql(`UPDATE notification.deliveries SET next_attempt_at = now() WHERE recipient_id = $1`, [
      ivy.userId,
    ]);
    const failed = await eventually(
      () => deliveriesOf(ivy),
      (rows) => (rows[0]?.attempts ?? 0) >= 1,
    );
    expect(failed[0]).toMatchObject({ status: 'pending', last_error: 'The recipient is not known yet' });
    // Held while the copy comes back, so that the test decides when the next attempt is.
    await platform.sql(
      `UPDATE notification.deliveries SET next_attempt_at = now() + interval '1 hour' WHERE recipient_id = $1`,
      [ivy.userId],
    );
    const copy = ivyCopy as Record<string, unknown>;
    await platform.sql(
      `INSERT INTO notification.users (user_id, tenant_id, kind, status, email, full_name, identity_updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        copy['user_id'],
        copy['tenant_id'],
        copy['kind'],
        copy['status'],
        copy['email'],
        copy['full_name'],
        copy['identity_updated_at'],
      ],
    );
    await platform.sql(`UPDATE notification.deliveries SET next_attempt_at = now() WHERE recipient_id = $1`, [
      ivy.userId,
    ]);
    expect((await settled(ivy, 1))[0]?.status).toBe('sent');
    expect(emailsTo(ivy)).toHaveLength(1);
    await notify(jon, { title: 'Hello Jon' });
    await platform.sql(`UPDATE notification.users SET status = 'suspended' WHERE user_id = $1`, [jon.userId]);
    await platform.sql(`UPDATE notification.deliveries SET next_attempt_at = now() WHERE recipient_id = $1`, [
      jon.userId,
    ]);
    expect((await settled(jon, 1))[0]).toMatchObject({
      status: 'skipped',
      last_error: 'The recipient is suspended',
    });
    expect(emailsTo(jon)).toEqual([]);
  });
});
