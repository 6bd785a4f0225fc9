import { randomUUID } from 'node:crypto';
import { conversationRequests as api, type Conversation, type Tenant } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { publishedEvents, startPlatform, type Person, type Platform } from './conversation.harness.js';

describe('groups: restricted, read-only, guests, moderated posting', () => {
  let platform: Platform;
  let school: Tenant;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let guest: Person;

  beforeAll(async () => {
    platform = await startPlatform();
    school = await platform.tenant('school');
    [owner, admin, member, guest] = await Promise.all([
      platform.person(school, 'Owner'),
      platform.person(school, 'Admin'),
      platform.person(school, 'Member'),
      platform.person(school, 'Guest'),
    ]);
  }, 90_000);
  afterAll(() => platform?.stop());

  const send = (as: Person, conversation: Conversation, body: string, clientMessageId = randomUUID()) =>
    platform.call(as, api.send, { conversationId: conversation.id, clientMessageId, body });

  async function group(
    settings: Partial<Pick<Conversation, 'isRestricted' | 'isReadOnly' | 'requiresApproval'>> = {},
  ) {
    return platform.call(owner, api.createGroup, {
      title: `Group ${randomUUID().slice(0, 6)}`,
      ...settings,
      participants: [
        { userId: admin.id, standing: 'administrator' },
        { userId: member.id },
        { userId: guest.id, standing: 'guest' },
      ],
    });
  }

  it('creates a group with its owner and participants in their standings', async () => {
    const created = await group();
    expect(created).toMatchObject({
      kind: 'group',
      visibility: 'private',
      participantCount: 4,
      lastSequence: 0,
    });
    const participants = await platform.call(member, api.listParticipants, { conversationId: created.id });
    const standings = Object.fromEntries(participants.items.map((item) => [item.userId, item.standing]));
    expect(standings).toEqual({
      [owner.id]: 'owner',
      [admin.id]: 'administrator',
      [member.id]: 'member',
      [guest.id]: 'guest',
    });
    const [event] = await publishedEvents(
      platform,
      (candidate) =>
        candidate.type === 'conversation.created' &&
        candidate.payload['conversation'] !== undefined &&
        (candidate.payload['conversation'] as { id: string }).id === created.id,
    );
    expect((event?.payload['participantIds'] as string[]).sort()).toEqual(
      [owner.id, admin.id, member.id, guest.id].sort(),
    );
  });

  it('creates a group with a topic and no history yet; the creator is never listed as a participant', async () => {
    const created = await platform.call(owner, api.createGroup, {
      title: 'Book club',
      topic: 'One book a month',
    });
    expect(created).toMatchObject({ topic: 'One book a month', participantCount: 1 });
    await expect(platform.call(owner, api.history, { conversationId: created.id })).resolves.toEqual({
      items: [],
      nextCursor: null,
    });
    await expect(
      platform.call(owner, api.createGroup, { title: 'Self', participants: [{ userId: owner.id }] }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('restricted: a member is refused naming conversation:message:send-restricted; admins and owners post', async () => {
    const restricted = await group({ isRestricted: true });
    const refusal = await parleyErrorOf(send(member, restricted, 'May I?'));
    expect(refusal.code).toBe('forbidden');
    expect(refusal.details).toMatchObject({ missing: ['conversation:message:send-restricted'] });
    expect(refusal.message).toContain('conversation:message:send-restricted');
    await expect(send(admin, restricted, 'Announcement')).resolves.toMatchObject({ sequence: 1 });
    await expect(send(owner, restricted, 'And another')).resolves.toMatchObject({ sequence: 2 });
    const history = await platform.call(member, api.history, { conversationId: restricted.id });
    expect(history.items.map((item) => item.sequence)).toEqual([2, 1]);
  });

  it('restricting an open group takes effect at once', async () => {
    const open = await group();
    await expect(send(member, open, 'Before')).resolves.toMatchObject({ sequence: 1 });
    await platform.call(owner, api.update, { conversationId: open.id, isRestricted: true });
    await expect(send(member, open, 'After')).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('read-only: nobody posts or reacts, everyone still reads', async () => {
    const frozen = await group();
    const first = await send(member, frozen, 'Last words');
    const updated = await platform.call(owner, api.update, { conversationId: frozen.id, isReadOnly: true });
    expect(updated.isReadOnly).toBe(true);
    for (const who of [owner, admin, member]) {
      const error = await parleyErrorOf(send(who, frozen, 'Anyone?'));
      expect(error).toMatchObject({ code: 'conflict', details: { reason: 'read_only' } });
    }
    await expect(
      platform.call(member, api.addReaction, { conversationId: frozen.id, messageId: first.id, emoji: '👍' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    const history = await platform.call(guest, api.history, { conversationId: frozen.id });
    expect(history.items.map((item) => item.body)).toEqual(['Last words']);
  });

  it('a retry of a message sent before the group became read-only returns it', async () => {
    const frozen = await group();
    const clientMessageId = randomUUID();
    const first = await send(member, frozen, 'Just in time', clientMessageId);
    await platform.call(owner, api.update, { conversationId: frozen.id, isReadOnly: true });
    await expect(send(member, frozen, 'Just in time', clientMessageId)).resolves.toEqual(first);
  });

  it('guests read but neither send nor react', async () => {
    const open = await group();
    const message = await send(member, open, 'Welcome, guest');
    const history = await platform.call(guest, api.history, { conversationId: open.id });
    expect(history.items).toHaveLength(1);
    await expect(send(guest, open, 'Hi')).rejects.toMatchObject({
      code: 'forbidden',
      details: { missing: ['conversation:message:send'] },
    });
    await expect(
      platform.call(guest, api.addReaction, { conversationId: open.id, messageId: message.id, emoji: '🎉' }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { missing: ['conversation:message:react'] } });
  });

  it('moderated: members wait for approval, moderators post at once, numbers stay gapless', async () => {
    const moderated = await group({ requiresApproval: true });
    const clientMessageId = randomUUID();
    const waiting = await send(member, moderated, 'Please approve', clientMessageId);
    expect(waiting).toMatchObject({ status: 'pending', sequence: null });
    await expect(send(member, moderated, 'Please approve', clientMessageId)).resolves.toEqual(waiting);
    const spam = await send(member, moderated, 'Buy now');
    // An edit while it waits is no change readers see: it takes no revision number.
    const reworded = await platform.call(member, api.edit, {
      conversationId: moderated.id,
      messageId: spam.id,
      body: 'Buy now, cheap',
    });
    expect(reworded).toMatchObject({ status: 'pending', revision: 0, body: 'Buy now, cheap' });
    const direct = await send(admin, moderated, 'Moderators post directly');
    expect(direct).toMatchObject({ status: 'published', sequence: 1 });

    expect((await platform.call(member, api.history, { conversationId: moderated.id })).items).toHaveLength(
      1,
    );
    await expect(
      platform.call(member, api.listPending, { conversationId: moderated.id }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    const queue = await platform.call(admin, api.listPending, { conversationId: moderated.id, limit: 1 });
    expect(queue.items.map((item) => item.id)).toEqual([waiting.id]);
    const rest = await platform.call(admin, api.listPending, {
      conversationId: moderated.id,
      cursor: queue.nextCursor ?? '',
    });
    expect(rest.items.map((item) => item.id)).toEqual([spam.id]);

    const approved = await platform.call(owner, api.approve, {
      conversationId: moderated.id,
      messageId: waiting.id,
    });
    expect(approved).toMatchObject({ status: 'published', sequence: 2 });
    const rejected = await platform.call(admin, api.reject, {
      conversationId: moderated.id,
      messageId: spam.id,
      reason: 'Advertising',
    });
    expect(rejected).toMatchObject({ status: 'rejected', sequence: null, rejectionReason: 'Advertising' });
    await expect(
      platform.call(owner, api.approve, { conversationId: moderated.id, messageId: spam.id }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(send(member, moderated, 'Please approve', clientMessageId)).resolves.toMatchObject({
      id: waiting.id,
      sequence: 2,
    });

    const caughtUp = await platform.call(guest, api.catchUp, {
      conversationId: moderated.id,
      afterSequence: 0,
    });
    expect(caughtUp.items.map((item) => item.sequence)).toEqual([1, 2]);
    expect(caughtUp.hasMore).toBe(false);
    const events = await publishedEvents(
      platform,
      (event) =>
        event.type.startsWith('moderation.') &&
        (event.payload['message'] as { conversationId: string }).conversationId === moderated.id,
      4,
    );
    expect(events.map((event) => event.type)).toEqual([
      'moderation.queued',
      'moderation.queued',
      'moderation.approved',
      'moderation.rejected',
    ]);
  });

  it('approving is refused in a read-only group, and for a message that is not waiting', async () => {
    const moderated = await group({ requiresApproval: true });
    const waiting = await send(member, moderated, 'Stuck');
    await platform.call(owner, api.update, { conversationId: moderated.id, isReadOnly: true });
    await expect(
      platform.call(owner, api.approve, { conversationId: moderated.id, messageId: waiting.id }),
    ).rejects.toMatchObject({ code: 'conflict', details: { reason: 'read_only' } });
    await expect(
      platform.call(owner, api.reject, { conversationId: moderated.id, messageId: randomUUID() }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('changes settings with one event naming what changed; an update without change publishes nothing', async () => {
    const open = await group();
    const updated = await platform.call(owner, api.update, {
      conversationId: open.id,
      title: 'Renamed',
      topic: 'What we talk about',
      visibility: 'public',
    });
    expect(updated).toMatchObject({ title: 'Renamed', topic: 'What we talk about', visibility: 'public' });
    await expect(
      platform.call(owner, api.update, { conversationId: open.id, title: 'Renamed' }),
    ).resolves.toEqual(updated);
    const cleared = await platform.call(owner, api.update, { conversationId: open.id, topic: null });
    expect(cleared.topic).toBeNull();
    const events = await publishedEvents(
      platform,
      (event) =>
        event.type === 'conversation.updated' &&
        (event.payload['conversation'] as { id: string }).id === open.id,
      2,
    );
    expect(events.map((event) => event.payload['changedFields'])).toEqual([
      ['title', 'topic', 'visibility'],
      ['topic'],
    ]);
    await expect(
      platform.call(admin, api.update, { conversationId: open.id, title: 'Mine' }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: { missing: ['conversation:conversation:update'] },
    });
  });

  it('deletes a group for everyone', async () => {
    const doomed = await group();
    await expect(platform.call(admin, api.delete, { conversationId: doomed.id })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const deleted = await platform.call(owner, api.delete, { conversationId: doomed.id });
    expect(deleted.conversationId).toBe(doomed.id);
    await expect(platform.call(member, api.get, { conversationId: doomed.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(platform.call(member, api.history, { conversationId: doomed.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    const mine = await platform.call(member, api.listMine, {});
    expect(mine.items.map((item) => item.conversation.id)).not.toContain(doomed.id);
    await publishedEvents(
      platform,
      (event) => event.type === 'conversation.deleted' && event.payload['conversationId'] === doomed.id,
    );
  });

  it('refuses group operations on a direct conversation', async () => {
    const direct = await platform.call(owner, api.getOrCreateDirect, { userId: member.id });
    for (const attempt of [
      platform.call(owner, api.update, { conversationId: direct.id, title: 'No' }),
      platform.call(owner, api.delete, { conversationId: direct.id }),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: 'forbidden' });
    }
    await expect(platform.call(member, api.leave, { conversationId: direct.id })).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'direct_conversation' },
    });
  });
});
