import { randomUUID } from 'node:crypto';
import { conversationRequests as api, type Conversation, type Tenant } from '@parley/contracts';
import { parleyErrorOf, withClient } from '@parley/testing';
import { publishedEvents, startPlatform, type Person, type Platform } from './conversation.harness.js';

describe('participants: joining, adding, removing, standings, expiry, tenants', () => {
  let platform: Platform;
  let school: Tenant;
  let college: Tenant;
  let owner: Person;
  let ada: Person;
  let bob: Person;
  let cleo: Person;
  let stranger: Person;

  beforeAll(async () => {
    platform = await startPlatform();
    [school, college] = await Promise.all([platform.tenant('school'), platform.tenant('college')]);
    [owner, ada, bob, cleo, stranger] = await Promise.all([
      platform.person(school, 'Owner'),
      platform.person(school, 'Ada'),
      platform.person(school, 'Bob'),
      platform.person(school, 'Cleo'),
      platform.person(college, 'Stranger'),
    ]);
  }, 90_000);
  afterAll(() => platform?.stop());

  const send = (as: Person, conversation: Conversation, body = 'Hello') =>
    platform.call(as, api.send, { conversationId: conversation.id, clientMessageId: randomUUID(), body });
  const group = (visibility: Conversation['visibility'], title = `Group ${randomUUID().slice(0, 6)}`) =>
    platform.call(owner, api.createGroup, { title, visibility });

  it('public groups are discovered and joined; private ones listed but not joined; hidden ones never seen', async () => {
    const prefix = `Chess ${randomUUID().slice(0, 4)}`;
    const open = await group('public', `${prefix} open`);
    const closed = await group('private', `${prefix} closed`);
    const secret = await group('hidden', `${prefix} secret`);
    const found = await platform.call(ada, api.discover, { query: prefix.toUpperCase() });
    expect(found.items.map((item) => item.conversation.title)).toEqual([
      `${prefix} closed`,
      `${prefix} open`,
    ]);
    expect(found.items.every((item) => !item.isParticipant)).toBe(true);
    const paged = await platform.call(ada, api.discover, { query: prefix, limit: 1 });
    const rest = await platform.call(ada, api.discover, { query: prefix, cursor: paged.nextCursor ?? '' });
    expect(rest.items.map((item) => item.conversation.id)).toEqual([open.id]);
    await expect(platform.call(ada, api.discover, { query: '100%_' })).resolves.toMatchObject({ items: [] });

    const joined = await platform.call(ada, api.join, { conversationId: open.id });
    expect(joined).toMatchObject({ userId: ada.id, standing: 'member', addedById: null });
    await expect(platform.call(ada, api.join, { conversationId: open.id })).resolves.toEqual(joined);
    await expect(send(ada, open)).resolves.toMatchObject({ sequence: 1 });
    const again = await platform.call(ada, api.discover, { query: `${prefix} open` });
    expect(again.items[0]?.isParticipant).toBe(true);

    await expect(platform.call(ada, api.join, { conversationId: closed.id })).rejects.toMatchObject({
      code: 'forbidden',
      details: { reason: 'private_group' },
    });
    await expect(platform.call(ada, api.join, { conversationId: secret.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    const direct = await platform.call(owner, api.getOrCreateDirect, { userId: bob.id });
    await expect(platform.call(ada, api.join, { conversationId: direct.id })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('a newcomer starts at the present: earlier messages are history, not unread', async () => {
    const open = await group('public');
    await send(owner, open, 'Before you came');
    await platform.call(bob, api.join, { conversationId: open.id });
    const mine = await platform.call(bob, api.listMine, {});
    expect(mine.items.find((item) => item.conversation.id === open.id)).toMatchObject({
      unreadCount: 0,
      me: { lastReadSequence: 1 },
    });
    const history = await platform.call(bob, api.history, { conversationId: open.id });
    expect(history.items).toHaveLength(1);
  });

  it('adds participants once each, checks them in identity, and publishes who joined', async () => {
    const closed = await group('private');
    const added = await platform.call(owner, api.addParticipants, {
      conversationId: closed.id,
      participants: [{ userId: ada.id }, { userId: bob.id, standing: 'guest' }],
    });
    expect(added.added.map((item) => [item.userId, item.standing, item.addedById])).toEqual([
      [ada.id, 'member', owner.id],
      [bob.id, 'guest', owner.id],
    ]);
    // A change before Cleo joins: she starts at the conversation's revision then.
    const welcome = await platform.call(owner, api.send, {
      conversationId: closed.id,
      clientMessageId: randomUUID(),
      body: 'Welcome',
    });
    await platform.call(ada, api.addReaction, {
      conversationId: closed.id,
      messageId: welcome.id,
      emoji: '👋',
    });
    const twice = await platform.call(owner, api.addParticipants, {
      conversationId: closed.id,
      participants: [{ userId: ada.id }, { userId: cleo.id }],
    });
    expect(twice).toMatchObject({ alreadyParticipants: [ada.id], added: [{ userId: cleo.id }] });
    expect(
      (await platform.call(ada, api.get, { conversationId: closed.id })).conversation.participantCount,
    ).toBe(4);

    const unknown = randomUUID();
    const refusal = await parleyErrorOf(
      platform.call(owner, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: unknown }, { userId: stranger.id }],
      }),
    );
    expect(refusal).toMatchObject({ code: 'not_found', details: { userIds: [unknown, stranger.id] } });
    await expect(
      platform.call(ada, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: owner.id }],
      }),
    ).rejects.toMatchObject({ code: 'forbidden', details: { missing: ['conversation:participant:add'] } });
    const joined = await publishedEvents(
      platform,
      (event) => event.type === 'participant.joined' && event.payload['conversationId'] === closed.id,
      3,
    );
    expect(joined.map((event) => (event.payload['participant'] as { userId: string }).userId)).toEqual([
      ada.id,
      bob.id,
      cleo.id,
    ]);
    expect(joined.map((event) => event.payload['lastRevision'])).toEqual([0, 0, 1]);
    expect(joined[2]?.payload['participant']).toMatchObject({ lastReadSequence: 1 });
  });

  it('only those who may change the group make administrators; administrators add members', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'Staff',
      participants: [{ userId: ada.id, standing: 'administrator' }],
    });
    await expect(
      platform.call(ada, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: bob.id, standing: 'administrator' }],
      }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: { missing: ['conversation:conversation:update'] },
    });
    await expect(
      platform.call(ada, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: bob.id }],
      }),
    ).resolves.toMatchObject({ added: [{ userId: bob.id, standing: 'member' }] });
    await expect(
      platform.call(owner, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: cleo.id, standing: 'administrator' }],
      }),
    ).resolves.toMatchObject({ added: [{ standing: 'administrator' }] });
  });

  it('removing takes the standing away at once; owners are removed only by owners, never the last', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'Removals',
      participants: [{ userId: ada.id, standing: 'administrator' }, { userId: bob.id }],
    });
    await expect(send(bob, closed)).resolves.toMatchObject({ sequence: 1 });
    const removed = await platform.call(ada, api.removeParticipant, {
      conversationId: closed.id,
      userId: bob.id,
    });
    expect(removed).toMatchObject({ conversationId: closed.id, userId: bob.id });
    await expect(send(bob, closed)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      platform.call(ada, api.removeParticipant, { conversationId: closed.id, userId: bob.id }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      platform.call(ada, api.removeParticipant, { conversationId: closed.id, userId: owner.id }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: { missing: ['conversation:conversation:update'] },
    });
    const last = await parleyErrorOf(
      platform.call(owner, api.removeParticipant, { conversationId: closed.id, userId: owner.id }),
    );
    expect(last).toMatchObject({ code: 'conflict', details: { reason: 'last_owner' } });
    expect(
      (await platform.call(owner, api.get, { conversationId: closed.id })).conversation.participantCount,
    ).toBe(2);
    const [left] = await publishedEvents(
      platform,
      (event) => event.type === 'participant.left' && event.payload['conversationId'] === closed.id,
    );
    expect(left?.payload).toMatchObject({ userId: bob.id, removedById: ada.id });
    // Added again, Bob takes part again.
    await platform.call(ada, api.addParticipants, {
      conversationId: closed.id,
      participants: [{ userId: bob.id }],
    });
    await expect(send(bob, closed)).resolves.toMatchObject({ sequence: 2 });
  });

  it('leaving: participants go; the last owner hands over first', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'Leavers',
      participants: [{ userId: ada.id }, { userId: bob.id }],
    });
    await expect(platform.call(bob, api.leave, { conversationId: closed.id })).resolves.toMatchObject({
      userId: bob.id,
    });
    await expect(platform.call(bob, api.leave, { conversationId: closed.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(
      (await platform.call(bob, api.listMine, {})).items.map((item) => item.conversation.id),
    ).not.toContain(closed.id);
    await expect(platform.call(owner, api.leave, { conversationId: closed.id })).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'last_owner' },
    });
    const promoted = await platform.call(owner, api.setStanding, {
      conversationId: closed.id,
      userId: ada.id,
      standing: 'owner',
    });
    expect(promoted.standing).toBe('owner');
    await expect(platform.call(owner, api.leave, { conversationId: closed.id })).resolves.toMatchObject({
      userId: owner.id,
    });
    // Ada, now the only participant and owner, may leave an empty group.
    await expect(platform.call(ada, api.leave, { conversationId: closed.id })).resolves.toMatchObject({
      userId: ada.id,
    });
  });

  it('standing changes take effect at once and keep one owner', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'Standings',
      isRestricted: true,
      participants: [{ userId: ada.id }],
    });
    await expect(send(ada, closed)).rejects.toMatchObject({ code: 'forbidden' });
    await platform.call(owner, api.setStanding, {
      conversationId: closed.id,
      userId: ada.id,
      standing: 'administrator',
    });
    await expect(send(ada, closed)).resolves.toMatchObject({ sequence: 1 });
    await platform.call(owner, api.setStanding, {
      conversationId: closed.id,
      userId: ada.id,
      standing: 'guest',
    });
    await expect(send(ada, closed)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      platform.call(owner, api.setStanding, {
        conversationId: closed.id,
        userId: owner.id,
        standing: 'member',
      }),
    ).rejects.toMatchObject({ code: 'conflict', details: { reason: 'last_owner' } });
    await expect(
      platform.call(owner, api.setStanding, {
        conversationId: closed.id,
        userId: bob.id,
        standing: 'member',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      platform.call(owner, api.setStanding, {
        conversationId: closed.id,
        userId: ada.id,
        standing: 'member',
        validUntil: new Date(Date.now() - 1000).toISOString(),
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    // With a second owner, the first may step down, and be removed by the other.
    await platform.call(owner, api.setStanding, {
      conversationId: closed.id,
      userId: ada.id,
      standing: 'owner',
    });
    await expect(
      platform.call(owner, api.setStanding, {
        conversationId: closed.id,
        userId: owner.id,
        standing: 'member',
      }),
    ).resolves.toMatchObject({ standing: 'member' });
    await platform.call(ada, api.setStanding, {
      conversationId: closed.id,
      userId: owner.id,
      standing: 'owner',
    });
    await expect(
      platform.call(ada, api.removeParticipant, { conversationId: closed.id, userId: owner.id }),
    ).resolves.toMatchObject({ userId: owner.id });
    const changes = await publishedEvents(
      platform,
      (event) =>
        event.type === 'participant.standing-changed' && event.payload['conversationId'] === closed.id,
      5,
    );
    expect(changes.map((event) => (event.payload['participant'] as { standing: string }).standing)).toEqual([
      'administrator',
      'guest',
      'owner',
      'member',
      'owner',
    ]);
  });

  it('membership expiry: the participant may act until the end, not after', async () => {
    const closed = await group('private');
    const validUntil = new Date(Date.now() + 2500).toISOString();
    const added = await platform.call(owner, api.addParticipants, {
      conversationId: closed.id,
      participants: [{ userId: cleo.id, validUntil }],
    });
    expect(added.added[0]?.validUntil).toBe(validUntil);
    await expect(send(cleo, closed)).resolves.toMatchObject({ sequence: 1 });
    await new Promise((resolve) => setTimeout(resolve, Date.parse(validUntil) - Date.now() + 300));
    await expect(send(cleo, closed)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(platform.call(cleo, api.history, { conversationId: closed.id })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const participants = await platform.call(owner, api.listParticipants, { conversationId: closed.id });
    expect(participants.items.map((item) => item.userId)).toEqual([owner.id]);
    expect(
      (await platform.call(cleo, api.listMine, {})).items.map((item) => item.conversation.id),
    ).not.toContain(closed.id);
    // Renewed, the membership holds again.
    const renewed = await platform.call(owner, api.addParticipants, {
      conversationId: closed.id,
      participants: [{ userId: cleo.id }],
    });
    expect(renewed.added[0]).toMatchObject({ userId: cleo.id, validUntil: null });
    await expect(send(cleo, closed)).resolves.toMatchObject({ sequence: 2 });
    expect(
      (await platform.call(owner, api.get, { conversationId: closed.id })).conversation.participantCount,
    ).toBe(2);
    await expect(
      platform.call(owner, api.addParticipants, {
        conversationId: closed.id,
        participants: [{ userId: ada.id, validUntil: new Date(Date.now() - 1).toISOString() }],
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('mutes and unmutes for the caller only, with an event for their other devices', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'Noisy',
      participants: [{ userId: ada.id }],
    });
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await expect(
      platform.call(ada, api.mute, { conversationId: closed.id, mutedUntil: until }),
    ).resolves.toMatchObject({
      userId: ada.id,
      mutedUntil: until,
    });
    expect((await platform.call(ada, api.get, { conversationId: closed.id })).me?.mutedUntil).toBe(until);
    await expect(
      platform.call(ada, api.mute, { conversationId: closed.id, mutedUntil: null }),
    ).resolves.toMatchObject({
      mutedUntil: null,
    });
    await expect(
      platform.call(bob, api.mute, { conversationId: closed.id, mutedUntil: null }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await publishedEvents(
      platform,
      (event) => event.type === 'participant.muted' && event.payload['conversationId'] === closed.id,
      2,
    );
  });

  it('refuses more than 5,000 participants in a group with limit_exceeded', async () => {
    const big = await group('public');
    await withClient(platform.database.url, (client) =>
      client.query('UPDATE conversation.conversations SET participant_count = 4999 WHERE id = $1', [big.id]),
    );
    const refusal = await parleyErrorOf(
      platform.call(owner, api.addParticipants, {
        conversationId: big.id,
        participants: [{ userId: ada.id }, { userId: bob.id }],
      }),
    );
    expect(refusal).toMatchObject({ code: 'limit_exceeded', details: { limit: 'participants', max: 5000 } });
    await expect(platform.call(ada, api.join, { conversationId: big.id })).resolves.toMatchObject({
      userId: ada.id,
    });
    await expect(platform.call(bob, api.join, { conversationId: big.id })).rejects.toMatchObject({
      code: 'limit_exceeded',
    });
    await expect(send(bob, big)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('keeps tenants apart', async () => {
    const closed = await platform.call(owner, api.createGroup, {
      title: 'School only',
      visibility: 'public',
      participants: [{ userId: ada.id }],
    });
    await send(ada, closed, 'Internal');
    for (const attempt of [
      platform.call(stranger, api.get, { conversationId: closed.id }),
      platform.call(stranger, api.history, { conversationId: closed.id }),
      send(stranger, closed, 'Let me in'),
    ]) {
      await expect(attempt).rejects.toMatchObject({ code: 'forbidden' });
    }
    // Joining is allowed tenant-wide, but in the stranger's tenant this group does not exist.
    await expect(platform.call(stranger, api.join, { conversationId: closed.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    const discovered = await platform.call(stranger, api.discover, { query: 'School only' });
    expect(discovered.items).toEqual([]);
    await expect(platform.call(ada, api.getOrCreateDirect, { userId: stranger.id })).rejects.toMatchObject({
      code: 'not_found',
      details: { userIds: [stranger.id] },
    });
    const theirs = await platform.call(stranger, api.createGroup, {
      title: 'School only',
      visibility: 'public',
    });
    await expect(platform.call(ada, api.join, { conversationId: theirs.id })).rejects.toMatchObject({
      code: 'not_found',
    });
    const events = await publishedEvents(
      platform,
      (event) =>
        event.type === 'conversation.created' &&
        (event.payload['conversation'] as { id: string }).id === theirs.id,
    );
    expect(events[0]?.tenantId).toBe(college.id);
  });
});
