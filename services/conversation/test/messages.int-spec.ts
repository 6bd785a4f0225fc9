import { randomUUID } from 'node:crypto';
import {
  conversationLimits,
  conversationRequests as api,
  type Conversation,
  type Tenant,
} from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { publishedEvents, startPlatform, type Person, type Platform } from './conversation.harness.js';

describe('messages: replies, reactions, edits, deletes, read receipts, limits', () => {
  let platform: Platform;
  let school: Tenant;
  let owner: Person;
  let ada: Person;
  let bob: Person;
  let outsider: Person;

  beforeAll(async () => {
    platform = await startPlatform();
    school = await platform.tenant('school');
    [owner, ada, bob, outsider] = await Promise.all([
      platform.person(school, 'Owner'),
      platform.person(school, 'Ada'),
      platform.person(school, 'Bob'),
      platform.person(school, 'Outsider'),
    ]);
  }, 90_000);
  afterAll(() => platform?.stop());

  const group = () =>
    platform.call(owner, api.createGroup, {
      title: `Group ${randomUUID().slice(0, 6)}`,
      participants: [{ userId: ada.id }, { userId: bob.id }],
    });
  const send = (
    as: Person,
    conversation: Conversation,
    body: string,
    extra: { replyToId?: string; mentions?: string[] } = {},
  ) =>
    platform.call(as, api.send, {
      conversationId: conversation.id,
      clientMessageId: randomUUID(),
      body,
      ...extra,
    });

  it('replies form a thread listed oldest first', async () => {
    const chat = await group();
    const question = await send(ada, chat, 'Who has the notes?');
    await send(owner, chat, 'Unrelated');
    const answers = [];
    for (const body of ['I do', 'Me too', 'Here they are']) {
      answers.push(await send(bob, chat, body, { replyToId: question.id }));
    }
    expect(answers[0]?.replyToId).toBe(question.id);
    const first = await platform.call(ada, api.listReplies, {
      conversationId: chat.id,
      messageId: question.id,
      limit: 2,
    });
    expect(first.items.map((item) => item.body)).toEqual(['I do', 'Me too']);
    const second = await platform.call(ada, api.listReplies, {
      conversationId: chat.id,
      messageId: question.id,
      cursor: first.nextCursor ?? '',
    });
    expect(second).toMatchObject({ items: [{ body: 'Here they are' }], nextCursor: null });
    await expect(send(ada, chat, 'Into the void', { replyToId: randomUUID() })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      platform.call(ada, api.listReplies, { conversationId: chat.id, messageId: randomUUID() }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('reactions: one per user and emoji, summarised per message, each change published', async () => {
    const chat = await group();
    const message = await send(ada, chat, 'Exam passed!');
    const react = (as: Person, emoji: string) =>
      platform.call(as, api.addReaction, { conversationId: chat.id, messageId: message.id, emoji });
    await expect(react(bob, '🎉')).resolves.toMatchObject({ added: true });
    await expect(react(bob, '🎉')).resolves.toMatchObject({ added: false });
    await react(owner, '🎉');
    await react(bob, ':clap:');
    const [seen] = (await platform.call(bob, api.history, { conversationId: chat.id })).items;
    expect(seen?.reactions).toEqual([
      { emoji: '🎉', count: 2, reactedByMe: true },
      { emoji: ':clap:', count: 1, reactedByMe: true },
    ]);
    const removal = { conversationId: chat.id, messageId: message.id, emoji: '🎉' };
    await expect(platform.call(bob, api.removeReaction, removal)).resolves.toMatchObject({ removed: true });
    await expect(platform.call(bob, api.removeReaction, removal)).resolves.toMatchObject({ removed: false });
    const [after] = (await platform.call(ada, api.history, { conversationId: chat.id })).items;
    expect(after?.reactions).toEqual([
      { emoji: '🎉', count: 1, reactedByMe: false },
      { emoji: ':clap:', count: 1, reactedByMe: false },
    ]);
    await expect(
      platform.send(bob, api.addReaction, {
        conversationId: chat.id,
        messageId: message.id,
        emoji: 'two words',
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    const events = await publishedEvents(
      platform,
      (event) => event.type.startsWith('reaction.') && event.payload['messageId'] === message.id,
      4,
    );
    expect(events.map((event) => event.type)).toEqual([
      'reaction.added',
      'reaction.added',
      'reaction.added',
      'reaction.removed',
    ]);
    expect(events[0]?.payload).toMatchObject({ conversationId: chat.id, sequence: 1, userId: bob.id });
  });

  it('revisions: each change to a published message takes the next one; changes come back as messages are now', async () => {
    const chat = await group();
    const first = await send(ada, chat, 'Frist');
    const second = await send(bob, chat, 'Second');
    const third = await send(ada, chat, 'Third');
    const changes = (afterRevision: number, throughSequence: number, limit?: number) =>
      platform.call(bob, api.changes, { conversationId: chat.id, afterRevision, throughSequence, limit });
    expect(await changes(0, 3)).toEqual({ items: [], hasMore: false, lastRevision: 0, coveredRevision: 0 });

    const edited = await platform.call(ada, api.edit, {
      conversationId: chat.id,
      messageId: first.id,
      body: 'First',
    });
    expect(edited.revision).toBe(1);
    const onSecond = { conversationId: chat.id, messageId: second.id, emoji: '👍' };
    await platform.call(owner, api.addReaction, onSecond);
    await platform.call(owner, api.removeReaction, onSecond);
    await platform.call(owner, api.addReaction, { ...onSecond, emoji: '🎉' });
    const deleted = await platform.call(ada, api.deleteMessage, {
      conversationId: chat.id,
      messageId: third.id,
    });
    expect(deleted.revision).toBe(5);
    await platform.call(bob, api.addReaction, { ...onSecond, messageId: first.id });
    // What changes nothing takes no number.
    await platform.call(bob, api.addReaction, { ...onSecond, messageId: first.id });
    await platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: third.id });

    const all = await changes(0, 3);
    expect(all.items.map((item) => [item.id, item.revision])).toEqual([
      [second.id, 4],
      [third.id, 5],
      [first.id, 6],
    ]);
    expect(all).toMatchObject({ hasMore: false, lastRevision: 6, coveredRevision: 6 });
    expect(all.items[0]?.reactions).toEqual([{ emoji: '🎉', count: 1, reactedByMe: false }]);
    expect(all.items[1]).toMatchObject({ body: null, deletedAt: expect.any(String) });
    expect(all.items[2]).toMatchObject({
      body: 'First',
      reactions: [{ emoji: '👍', count: 1, reactedByMe: true }],
    });
    // Only the messages the reader has (up to a sequence number), after the revision it saw; the
    // third was published before any change, so changes to it may take any revision above 0:
    // none is covered for a reader who holds only the first two.
    const upToSecond = await changes(4, 2);
    expect(upToSecond.items.map((item) => item.id)).toEqual([first.id]);
    expect(upToSecond).toMatchObject({ lastRevision: 6, coveredRevision: 0 });
    const fourth = await send(bob, chat, 'Fourth');
    await platform.call(owner, api.addReaction, { ...onSecond, messageId: fourth.id });
    expect(await changes(6, 3)).toMatchObject({ items: [], lastRevision: 7, coveredRevision: 6 });
    expect(await changes(6, 4)).toMatchObject({
      items: [{ id: fourth.id, revision: 7 }],
      coveredRevision: 7,
    });
    // A page at a time, in revision order.
    const page = await changes(0, 3, 2);
    expect(page).toMatchObject({ hasMore: true, lastRevision: 7 });
    expect((await changes(page.items[1]?.revision ?? 0, 3, 2)).items.map((item) => item.id)).toEqual([
      first.id,
    ]);
    const { conversation } = await platform.call(bob, api.get, { conversationId: chat.id });
    expect(conversation.lastRevision).toBe(7);

    const events = await publishedEvents(
      platform,
      (event) =>
        (event.type.startsWith('reaction.') && event.payload['conversationId'] === chat.id) ||
        (event.type === 'message.edited' &&
          (event.payload['message'] as { conversationId?: string }).conversationId === chat.id),
      6,
    );
    expect(
      events.map((event) =>
        event.type === 'message.edited'
          ? (event.payload['message'] as { revision: number }).revision
          : event.payload['revision'],
      ),
    ).toEqual([1, 2, 3, 4, 6, 7]);
    await expect(
      platform.call(outsider, api.changes, { conversationId: chat.id, afterRevision: 0, throughSequence: 3 }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      platform.call(bob, api.changes, { conversationId: randomUUID(), afterRevision: 0, throughSequence: 3 }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(not_found|forbidden)$/) });
  });

  it('edits: only the sender, only live messages, with an event', async () => {
    const chat = await group();
    const message = await send(ada, chat, 'Teh answer');
    const edited = await platform.call(ada, api.edit, {
      conversationId: chat.id,
      messageId: message.id,
      body: 'The answer, @Bob',
      mentions: [bob.id],
    });
    expect(edited).toMatchObject({ body: 'The answer, @Bob', mentions: [bob.id], sequence: 1 });
    expect(edited.editedAt).not.toBeNull();
    await expect(
      platform.call(bob, api.edit, { conversationId: chat.id, messageId: message.id, body: 'Mine now' }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { reason: 'not_sender' } });
    await expect(
      platform.call(ada, api.edit, { conversationId: chat.id, messageId: randomUUID(), body: 'Nothing' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      platform.call(ada, api.edit, { conversationId: chat.id, messageId: message.id, body: ' ' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: message.id });
    await expect(
      platform.call(ada, api.edit, { conversationId: chat.id, messageId: message.id, body: 'Back' }),
    ).rejects.toMatchObject({ code: 'conflict', details: { reason: 'deleted' } });
    const [event] = await publishedEvents(
      platform,
      (candidate) =>
        candidate.type === 'message.edited' &&
        (candidate.payload['message'] as { id: string }).id === message.id,
    );
    expect(event?.payload['message']).toMatchObject({ body: 'The answer, @Bob' });
  });

  it('deletes: the sender their own, administrators anyone’s; the number stays, the text goes', async () => {
    const chat = await group();
    const mine = await send(ada, chat, 'Oops');
    const theirs = await send(bob, chat, 'Rude remark');
    await expect(
      platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: theirs.id }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { missing: ['conversation:message:delete-any'] } });
    const gone = await platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: mine.id });
    expect(gone).toMatchObject({ sequence: 1, body: null });
    expect(gone.deletedAt).not.toBeNull();
    await expect(
      platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: mine.id }),
    ).resolves.toEqual(gone);
    await platform.call(owner, api.deleteMessage, { conversationId: chat.id, messageId: theirs.id });
    const caughtUp = await platform.call(bob, api.catchUp, { conversationId: chat.id, afterSequence: 0 });
    expect(caughtUp.items.map((item) => [item.sequence, item.body])).toEqual([
      [1, null],
      [2, null],
    ]);
    await expect(
      platform.call(ada, api.addReaction, { conversationId: chat.id, messageId: mine.id, emoji: '👍' }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(send(ada, chat, 'Re: deleted', { replyToId: mine.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    const events = await publishedEvents(
      platform,
      (event) =>
        event.type === 'message.deleted' &&
        (event.payload['message'] as { conversationId: string }).conversationId === chat.id,
      2,
    );
    expect(events.map((event) => event.payload['deletedById'])).toEqual([ada.id, owner.id]);
  });

  it('read receipts and unread counts', async () => {
    const chat = await group();
    for (const body of ['One', 'Two', 'Three']) {
      await send(ada, chat, body);
    }
    const summaryOf = async (as: Person) =>
      (await platform.call(as, api.listMine, {})).items.find((item) => item.conversation.id === chat.id);
    expect(await summaryOf(bob)).toMatchObject({
      unreadCount: 3,
      lastMessage: { body: 'Three', sequence: 3 },
    });
    expect(await summaryOf(ada)).toMatchObject({ unreadCount: 0, me: { lastReadSequence: 3 } });

    await expect(platform.call(bob, api.markRead, { conversationId: chat.id, sequence: 2 })).resolves.toEqual(
      {
        conversationId: chat.id,
        lastReadSequence: 2,
        unreadCount: 1,
      },
    );
    // Never backwards, never past the latest message.
    await expect(
      platform.call(bob, api.markRead, { conversationId: chat.id, sequence: 1 }),
    ).resolves.toMatchObject({
      lastReadSequence: 2,
      unreadCount: 1,
    });
    await expect(
      platform.call(bob, api.markRead, { conversationId: chat.id, sequence: 99 }),
    ).resolves.toMatchObject({ lastReadSequence: 3, unreadCount: 0 });
    const participants = await platform.call(ada, api.listParticipants, { conversationId: chat.id });
    const bobsReceipt = participants.items.find((item) => item.userId === bob.id);
    expect(bobsReceipt).toMatchObject({ lastReadSequence: 3 });
    expect(bobsReceipt?.lastReadAt).not.toBeNull();

    await send(ada, chat, 'Four');
    const deleted = await send(ada, chat, 'Five');
    await platform.call(ada, api.deleteMessage, { conversationId: chat.id, messageId: deleted.id });
    expect(await summaryOf(bob)).toMatchObject({ unreadCount: 1, lastMessage: { body: 'Four' } });
    const receipts = await publishedEvents(
      platform,
      (event) => event.type === 'receipt.updated' && event.payload['conversationId'] === chat.id,
      2,
    );
    expect(receipts.map((event) => event.payload['lastReadSequence'])).toEqual([2, 3]);
    await expect(
      platform.call(outsider, api.markRead, { conversationId: chat.id, sequence: 1 }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('lists my conversations by latest activity, a page at a time', async () => {
    const first = await group();
    const second = await group();
    await send(owner, first, 'Bump');
    const page = await platform.call(bob, api.listMine, { limit: 1 });
    expect(page.items.map((item) => item.conversation.id)).toEqual([first.id]);
    const next = await platform.call(bob, api.listMine, { limit: 1, cursor: page.nextCursor ?? '' });
    expect(next.items.map((item) => item.conversation.id)).toEqual([second.id]);
    expect(next.items[0]).toMatchObject({ lastMessage: null, unreadCount: 0, me: { standing: 'member' } });
    await expect(platform.call(bob, api.listMine, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('pages history newest first, and catches up oldest first after a number', async () => {
    const chat = await group();
    for (let index = 1; index <= 5; index += 1) {
      await send(ada, chat, `Message ${index}`);
    }
    const newest = await platform.call(bob, api.history, { conversationId: chat.id, limit: 2 });
    expect(newest.items.map((item) => item.sequence)).toEqual([5, 4]);
    const older = await platform.call(bob, api.history, {
      conversationId: chat.id,
      limit: 2,
      cursor: newest.nextCursor ?? '',
    });
    expect(older.items.map((item) => item.sequence)).toEqual([3, 2]);
    const oldest = await platform.call(bob, api.history, {
      conversationId: chat.id,
      cursor: older.nextCursor ?? '',
    });
    expect(oldest).toMatchObject({ items: [{ sequence: 1 }], nextCursor: null });
    const missed = await platform.call(bob, api.catchUp, {
      conversationId: chat.id,
      afterSequence: 2,
      limit: 2,
    });
    expect(missed.items.map((item) => item.sequence)).toEqual([3, 4]);
    expect(missed.hasMore).toBe(true);
    await expect(
      platform.send(bob, api.history, { conversationId: chat.id, limit: 101 }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('refuses what exceeds a limit with limit_exceeded naming it', async () => {
    const chat = await group();
    const limitOf = async (payload: Record<string, unknown>) =>
      (
        await parleyErrorOf(
          platform.send(ada, api.send, {
            conversationId: chat.id,
            clientMessageId: randomUUID(),
            ...payload,
          }),
        )
      ).details;
    expect(await limitOf({ body: 'x'.repeat(conversationLimits.body_length + 1) })).toMatchObject({
      limit: 'body_length',
      max: 16_000,
    });
    expect(
      await limitOf({ body: 'Hi', mentions: Array.from({ length: 51 }, () => randomUUID()) }),
    ).toMatchObject({
      limit: 'mentions',
      max: 50,
    });
    expect(
      await limitOf({ body: 'Hi', attachments: Array.from({ length: 11 }, () => randomUUID()) }),
    ).toMatchObject({
      limit: 'attachments',
      max: 10,
    });
    // 16,000 emoji are 32,000 UTF-16 units but 16,000 characters: within the limit.
    await expect(send(ada, chat, '😀'.repeat(conversationLimits.body_length))).resolves.toMatchObject({
      sequence: 1,
    });
    const title = await parleyErrorOf(platform.send(owner, api.createGroup, { title: 't'.repeat(201) }));
    expect(title).toMatchObject({ code: 'limit_exceeded', details: { limit: 'title_length', max: 200 } });
    const topic = await parleyErrorOf(
      platform.send(owner, api.update, { conversationId: chat.id, topic: 't'.repeat(1001) }),
    );
    expect(topic).toMatchObject({ code: 'limit_exceeded', details: { limit: 'topic_length', max: 1000 } });
  });

  it('validates messages: text or files, mentions of participants only', async () => {
    const chat = await group();
    await expect(send(ada, chat, '   ')).rejects.toMatchObject({ code: 'validation_failed' });
    const files = await platform.call(ada, api.send, {
      conversationId: chat.id,
      clientMessageId: randomUUID(),
      body: '',
      attachments: [randomUUID()],
    });
    expect(files).toMatchObject({ body: '', sequence: 1 });
    expect(files.attachments).toHaveLength(1);
    const refusal = await parleyErrorOf(send(ada, chat, 'Hey @Outsider', { mentions: [outsider.id] }));
    expect(refusal).toMatchObject({ code: 'validation_failed', details: { userIds: [outsider.id] } });
    await expect(send(ada, chat, 'Hey @Bob', { mentions: [bob.id, bob.id] })).resolves.toMatchObject({
      mentions: [bob.id],
    });
    await expect(
      platform.send(ada, api.send, { conversationId: chat.id, clientMessageId: 'has spaces', body: 'Hi' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
