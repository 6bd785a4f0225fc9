import { randomUUID } from 'node:crypto';
import { conversationRequests as api, type Tenant } from '@parley/contracts';
import { jest } from '@jest/globals';
import pg from 'pg';
import { withClient } from '@parley/testing';
import { MessagesRepository } from '../src/messages/messages.repository.js';
import { MessagesService } from '../src/messages/messages.service.js';
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
  // A spy left by a failed test must not reach the next one.
  afterEach(() => jest.restoreAllMocks());

  const rowsOf = <T>(sql: string, values: unknown[]) =>
    withClient(platform.database.url, async (client) => (await client.query(sql, values)).rows as T[]);

  it('changes and replies to one message at once: no deadlock, gapless revisions', async () => {
    const chat = await platform.call(ada, api.createGroup, {
      title: 'Lively',
      participants: [{ userId: bob.id }, { userId: cleo.id }],
    });
    const question = await platform.call(ada, api.send, {
      conversationId: chat.id,
      clientMessageId: randomUUID(),
      body: 'Who is in?',
    });
    const on = { conversationId: chat.id, messageId: question.id };
    const emoji = ['👍', '🎉', '👀', '🙌', '🔥', '💯'];
    const people = [ada, bob, cleo];
    // Each reaction and edit locks the message, then the conversation; each reply locks the
    // conversation, then refers to the message.
    const work = [
      ...people.flatMap((person) =>
        emoji.map((e) => platform.call(person, api.addReaction, { ...on, emoji: e })),
      ),
      ...Array.from({ length: 18 }, (_, index) =>
        platform.call(people[index % 3] as Person, api.send, {
          conversationId: chat.id,
          clientMessageId: randomUUID(),
          body: `Me ${index}`,
          replyToId: question.id,
        }),
      ),
      ...Array.from({ length: 6 }, (_, index) =>
        platform.call(ada, api.edit, { ...on, body: `Who is in? (${index})` }),
      ),
    ];
    const outcomes = await Promise.allSettled(work);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    const [stored] = await rowsOf<{ last_revision: string; revision: string }>(
      `SELECT c.last_revision, m.revision
       FROM conversation.conversations c JOIN conversation.messages m ON m.conversation_id = c.id
       WHERE c.id = $1 AND m.id = $2`,
      [chat.id, question.id],
    );
    // 18 reactions and 6 edits: revisions 1 to 24, the message's latest change the last of them.
    expect(stored).toMatchObject({ last_revision: '24', revision: '24' });
  });

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

  it('sends arriving together are published together, each event the same as its reply', async () => {
    const chats = await Promise.all(
      ['Maths', 'History', 'Art'].map((title) =>
        platform.call(ada, api.createGroup, {
          title,
          participants: [{ userId: bob.id }, { userId: cleo.id }],
        }),
      ),
    );
    const senders = [ada, bob, cleo];
    const publishOpen = jest.spyOn(platform.conversation.get(MessagesRepository), 'publishOpen');
    const sent = await Promise.all(
      Array.from({ length: 90 }, (_, index) =>
        platform.call(senders[index % 3] as Person, api.send, {
          conversationId: (chats[Math.floor(index / 30)] as { id: string }).id,
          clientMessageId: randomUUID(),
          body: index % 10 === 0 ? '' : `Message ${index}`,
          attachments: index % 5 === 0 ? [randomUUID(), randomUUID()] : [],
        }),
      ),
    );
    // They went in batches: fewer statements than sends, and some held several.
    const batchSizes = publishOpen.mock.calls.map(([, sends]) => sends.length);
    publishOpen.mockRestore();
    expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(90);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    const ids = new Set(sent.map((message) => message.id));
    const created = await publishedEvents(
      platform,
      (event) => event.type === 'message.created' && ids.has((event.payload['message'] as { id: string }).id),
      90,
    );
    const replies = new Map(sent.map((message) => [message.id, message]));
    for (const event of created) {
      const message = event.payload['message'] as { id: string };
      expect(message).toEqual(replies.get(message.id));
    }
    for (const chat of chats) {
      const inOrder = created
        .map((event) => event.payload['message'] as { conversationId: string; sequence: number })
        .filter((message) => message.conversationId === chat.id)
        .map((message) => message.sequence);
      expect(inOrder).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
      const history = await platform.call(cleo, api.history, { conversationId: chat.id, limit: 30 });
      for (const item of history.items) {
        const { reactions, ...message } = item;
        expect(reactions).toEqual([]);
        expect(message).toEqual(replies.get(item.id));
      }
    }
    const positions = await rowsOf<{ user_id: string; last_read_sequence: string; last_sequence: string }>(
      `SELECT p.user_id, p.last_read_sequence, c.last_sequence FROM conversation.participants p
       JOIN conversation.conversations c ON c.id = p.conversation_id WHERE p.conversation_id = $1`,
      [(chats[0] as { id: string }).id],
    );
    const lastOf = (sender: Person) =>
      Math.max(
        ...sent
          .filter((message) => message.conversationId === chats[0]?.id && message.senderId === sender.id)
          .map((message) => message.sequence ?? 0),
      );
    expect(positions.map((row) => [row.user_id, Number(row.last_read_sequence)]).sort()).toEqual(
      [ada, bob, cleo].map((person) => [person.id, lastOf(person)]).sort(),
    );
  });

  it('a batch that fails for one send leaves nothing behind and sends each on its own', async () => {
    const chat = await platform.call(ada, api.createGroup, {
      title: 'Contested',
      participants: [{ userId: bob.id }],
    });
    const other = await platform.call(ada, api.createGroup, {
      title: 'Bystander',
      participants: [{ userId: bob.id }],
    });
    const contested = randomUUID();
    const publishOpen = jest.spyOn(platform.conversation.get(MessagesRepository), 'publishOpen');
    // Another writer inserts bob's message with the same client message id and holds it open: the
    // batch waits for it, then collides with it once it commits.
    const blocker = new pg.Client({ connectionString: platform.database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      const [held] = (
        await blocker.query<{ id: string }>(
          `INSERT INTO conversation.messages (conversation_id, tenant_id, sender_id, client_message_id, body, status)
           VALUES ($1, $2, $3, $4, 'Queued elsewhere', 'pending') RETURNING id`,
          [chat.id, school.id, bob.id, contested],
        )
      ).rows;
      // Sent in one turn of the event loop, straight to the service (its guard is tested elsewhere),
      // the four go in one batch: the contested send, one in the other conversation and two after it
      // in the same one, which keep their order.
      const messages = platform.conversation.get(MessagesService);
      const open = { mentions: [], attachments: [] };
      const sends = Promise.all([
        messages.send(bob.principal, {
          conversationId: chat.id,
          clientMessageId: contested,
          body: 'Contested',
          ...open,
        }),
        messages.send(ada.principal, {
          conversationId: other.id,
          clientMessageId: randomUUID(),
          body: 'Other',
          ...open,
        }),
        messages.send(ada.principal, {
          conversationId: chat.id,
          clientMessageId: randomUUID(),
          body: 'After',
          ...open,
        }),
        messages.send(bob.principal, {
          conversationId: chat.id,
          clientMessageId: randomUUID(),
          body: 'After that',
          ...open,
        }),
      ]);
      await eventuallyWaiting(platform.database.url);
      await blocker.query('COMMIT');
      const [answer, ...bystanders] = await sends;
      // That statement failed (its insert collided), and its sends went one by one.
      expect(publishOpen.mock.calls[0]?.[1]).toHaveLength(4);
      const statements = await Promise.allSettled(publishOpen.mock.results.map((result) => result.value));
      publishOpen.mockRestore();
      expect(statements.map((outcome) => outcome.status)).toEqual(['rejected']);
      expect(answer).toMatchObject({ id: held?.id, status: 'pending', sequence: null });
      expect(bystanders.map((message) => [message.body, message.status, message.sequence])).toEqual([
        ['Other', 'published', 1],
        ['After', 'published', 1],
        ['After that', 'published', 2],
      ]);
    } finally {
      await blocker.end();
    }
    for (const [conversation, count] of [
      [chat.id, 2],
      [other.id, 1],
    ] as const) {
      const rows = await rowsOf<{ sequence: string }>(
        `SELECT sequence FROM conversation.messages WHERE conversation_id = $1 AND sequence IS NOT NULL ORDER BY sequence`,
        [conversation],
      );
      expect(rows.map((row) => Number(row.sequence))).toEqual(
        Array.from({ length: count }, (_, index) => index + 1),
      );
      const [stored] = await rowsOf<{ last_sequence: string }>(
        'SELECT last_sequence FROM conversation.conversations WHERE id = $1',
        [conversation],
      );
      expect(Number(stored?.last_sequence)).toBe(count);
    }
  });
});

/** Resolves once a statement of the service waits for a lock held by another session. */
async function eventuallyWaiting(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const waiting = await withClient(url, async (client) => {
      const { rows } = await client.query<{ waiting: string }>(
        `SELECT count(*) AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      return Number(rows[0]?.waiting ?? 0);
    });
    if (waiting > 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('No statement came to wait for the lock');
}
