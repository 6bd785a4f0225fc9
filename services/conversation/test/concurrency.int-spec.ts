import { randomUUID } from 'node:crypto';
import { conversationRequests as api, type Tenant } from '@parley/contracts';
import { withClient } from '@parley/testing';
import { publishedEvents, startPlatform, type Person, type Platform } from './conversation.harness.js';

describe('concurrency', () => {
  let platform: Platform;
  let school: Tenant;
  let ada: Person;
  let bob: Person;
  let cleo: Person;

  beforeAll(async () => {
    platform = await startPlatform();
    school = await platform.tenant('school');
    [ada, bob, cleo] = await Promise.all([
      platform.person(school, 'Ada'),
      platform.person(school, 'Bob'),
      platform.person(school, 'Cleo'),
    ]);
  }, 90_000);
  afterAll(() => platform?.stop());

  const rowsOf = <T>(sql: string, values: unknown[]) =>
    withClient(platform.database.url, async (client) => (await client.query(sql, values)).rows as T[]);

  it('parallel sends in one conversation get unique, gapless sequence numbers', async () => {
    const chat = await platform.call(ada, api.createGroup, {
      title: 'Busy',
      participants: [{ userId: bob.id }, { userId: cleo.id }],
    });
    const senders = [ada, bob, cleo];
    const sent = await Promise.all(
      Array.from({ length: 120 }, (_, index) =>
        platform.call(senders[index % 3] as Person, api.send, {
          conversationId: chat.id,
          clientMessageId: randomUUID(),
          body: `Message ${index}`,
        }),
      ),
    );
    const sequences = sent.map((message) => message.sequence).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(sequences).toEqual(Array.from({ length: 120 }, (_, index) => index + 1));
    const [stored] = await rowsOf<{ last_sequence: string; messages: string }>(
      `SELECT c.last_sequence, (SELECT count(*) FROM conversation.messages m WHERE m.conversation_id = c.id) AS messages
       FROM conversation.conversations c WHERE c.id = $1`,
      [chat.id],
    );
    expect(stored).toEqual({ last_sequence: '120', messages: '120' });
    const caughtUp = await platform.call(bob, api.catchUp, { conversationId: chat.id, afterSequence: 60 });
    expect(caughtUp.items.map((item) => item.sequence)).toEqual(
      Array.from({ length: 60 }, (_, index) => index + 61),
    );
  });

  it('parallel get-or-create from both sides yields one conversation', async () => {
    const calls = Array.from({ length: 12 }, (_, index) =>
      index % 2 === 0
        ? platform.call(ada, api.getOrCreateDirect, { userId: cleo.id })
        : platform.call(cleo, api.getOrCreateDirect, { userId: ada.id }),
    );
    const conversations = await Promise.all(calls);
    const ids = new Set(conversations.map((conversation) => conversation.id));
    expect(ids.size).toBe(1);
    const [lower, higher] = [ada.id, cleo.id].sort();
    const rows = await rowsOf<{ id: string }>(
      `SELECT id FROM conversation.conversations WHERE lower_user_id = $1 AND higher_user_id = $2`,
      [lower, higher],
    );
    expect(rows).toHaveLength(1);
    const participants = await platform.call(cleo, api.listParticipants, {
      conversationId: rows[0]?.id ?? '',
    });
    expect(participants.items.map((item) => item.userId).sort()).toEqual([lower, higher]);
    const created = await publishedEvents(
      platform,
      (event) =>
        event.type === 'conversation.created' &&
        (event.payload['conversation'] as { id: string }).id === rows[0]?.id,
    );
    expect(created).toHaveLength(1);
  });

  it('retried sends never duplicate and never use up a sequence number', async () => {
    const chat = await platform.call(ada, api.getOrCreateDirect, { userId: bob.id });
    const retry = {
      conversationId: chat.id,
      clientMessageId: randomUUID(),
      body: 'Sent over a flaky network',
    };
    const attempts = await Promise.all(Array.from({ length: 10 }, () => platform.call(ada, api.send, retry)));
    expect(new Set(attempts.map((message) => message.id)).size).toBe(1);
    const [first] = attempts;
    expect(attempts.every((message) => message.sequence === first?.sequence)).toBe(true);
    await expect(platform.call(ada, api.send, retry)).resolves.toEqual(first);
    // Another sender may use the same client message id: it is unique per sender.
    const bobs = await platform.call(bob, api.send, retry);
    expect(bobs.id).not.toBe(first?.id);
    const next = await platform.call(ada, api.send, { ...retry, clientMessageId: randomUUID() });
    expect(next.sequence).toBe((first?.sequence ?? 0) + 2);
    const rows = await rowsOf<{ sequence: string }>(
      'SELECT sequence FROM conversation.messages WHERE conversation_id = $1 ORDER BY sequence',
      [chat.id],
    );
    expect(rows.map((row) => Number(row.sequence))).toEqual([1, 2, 3]);
  });

  it('retried sends into the moderation queue never duplicate either', async () => {
    const moderated = await platform.call(ada, api.createGroup, {
      title: 'Moderated',
      requiresApproval: true,
      participants: [{ userId: bob.id }],
    });
    const retry = { conversationId: moderated.id, clientMessageId: randomUUID(), body: 'Approve me' };
    const attempts = await Promise.all(Array.from({ length: 8 }, () => platform.call(bob, api.send, retry)));
    expect(new Set(attempts.map((message) => message.id)).size).toBe(1);
    expect(attempts[0]).toMatchObject({ status: 'pending', sequence: null });
    const queue = await platform.call(ada, api.listPending, { conversationId: moderated.id });
    expect(queue.items).toHaveLength(1);
  });

  it('sends racing with a change to read-only are either published before it or refused after it', async () => {
    const chat = await platform.call(ada, api.createGroup, {
      title: 'Closing',
      participants: [{ userId: bob.id }],
    });
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, index) =>
        platform.call(bob, api.send, {
          conversationId: chat.id,
          clientMessageId: randomUUID(),
          body: `#${index}`,
        }),
      ),
      platform.call(ada, api.update, { conversationId: chat.id, isReadOnly: true }),
    ]);
    const published = outcomes.filter(
      (outcome) => outcome.status === 'fulfilled' && 'sequence' in outcome.value,
    ).length;
    const refused = outcomes.filter(
      (outcome) => outcome.status === 'rejected' && (outcome.reason as { code?: string }).code === 'conflict',
    ).length;
    expect(published + refused).toBe(20);
    const [stored] = await rowsOf<{ last_sequence: string }>(
      'SELECT last_sequence FROM conversation.conversations WHERE id = $1',
      [chat.id],
    );
    expect(Number(stored?.last_sequence)).toBe(published);
  });
});
