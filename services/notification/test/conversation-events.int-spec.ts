import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import {
  conversationEvents as events,
  eventStreamName,
  fileEvents,
  identityEvents,
  notificationRequests as api,
  type Conversation,
  type EventContract,
  type PayloadOf,
  type Principal,
} from '@parley/contracts';
import { conversationDurable } from '../src/conversations/conversation-events.consumer.js';
import { identityDurable } from '../src/directory/identity-events.consumer.js';
import { MaintenanceService } from '../src/maintenance.service.js';
import { fileDurable } from '../src/files/file-events.consumer.js';
import { groupOf, directOf, messageOf, participantOf, rejectedFileOf } from './conversation-payloads.js';
import { eventually, eventsMatching, startPlatform, type Platform } from './notification.harness.js';

describe('notifications from conversation and file events', () => {
  let platform: Platform;
  let tenantId: string;
  let ann: Principal;
  let ben: Principal;
  let cat: Principal;
  let group: Conversation;

  /** Publishes a conversation event and waits until the service has handled it. */
  async function conversationEvent<C extends EventContract>(
    contract: C,
    payload: PayloadOf<C>,
  ): Promise<string> {
    const msgId = await platform.publish(contract, tenantId, payload);
    await platform.handled(conversationDurable, msgId);
    const message = (payload as { message?: { id: string } }).message;
    if (message !== undefined) {
      messageOfEvent.set(msgId, message.id);
    }
    return msgId;
  }
  /** The message each published event carried: mentions are notified once per message, not per event. */
  const messageOfEvent = new Map<string, string>();

  const typesOf = async (user: Principal, msgId?: string): Promise<string[]> =>
    (await platform.notificationsOf(user.userId))
      .filter(
        (row) =>
          msgId === undefined ||
          row.source_id === `conversation:${msgId}` ||
          row.source_id === `conversation:mention:${messageOfEvent.get(msgId) ?? ''}`,
      )
      .map((row) => row.type);

  beforeAll(async () => {
    platform = await startPlatform();
    tenantId = platform.world.tenant.id;
    ann = await platform.user(tenantId, { fullName: 'Ann' });
    ben = await platform.user(tenantId, { fullName: 'Ben' });
    cat = await platform.user(tenantId, { fullName: 'Cat' });
    group = groupOf(ann.userId, 3, 'Chemistry');
    await conversationEvent(events.conversationCreated, {
      conversation: group,
      participantIds: [ann.userId, ben.userId, cat.userId],
    });
  }, 60_000);
  afterAll(() => platform.stop());

  it('tells those added to a new group, and not its creator', async () => {
    expect(await typesOf(ann)).toEqual([]);
    const [benAdded] = await platform.notificationsOf(ben.userId);
    expect(benAdded).toMatchObject({
      type: 'conversation_added',
      title: 'Ann added you to Chemistry',
      status: 'new',
    });
    expect(await typesOf(cat)).toEqual(['conversation_added']);
  });

  it('notifies every other participant of a message exactly once, and never the sender', async () => {
    const message = messageOf(group.id, ann.userId, { body: 'Lab at   nine\ntomorrow' });
    const msgId = await conversationEvent(events.messageCreated, { message });
    expect(await typesOf(ann, msgId)).toEqual([]);
    expect(await typesOf(ben, msgId)).toEqual(['message']);
    expect(await typesOf(cat, msgId)).toEqual(['message']);
    const [benRow] = (await platform.notificationsOf(ben.userId)).filter(
      (row) => row.source_id === `conversation:${msgId}`,
    );
    expect(benRow).toMatchObject({
      title: 'Ann in Chemistry',
      body: 'Lab at nine tomorrow',
      data: { conversationId: group.id, messageId: message.id, sequence: message.sequence },
    });
    // The realtime edge learns of it with the new unread count.
    const [created] = await eventsMatching(
      platform,
      (event) =>
        event.type === 'notification.created' &&
        (event.payload['notification'] as { recipientId: string; data: { messageId?: string } })
          .recipientId === ben.userId &&
        (event.payload['notification'] as { data: { messageId?: string } }).data.messageId === message.id,
    );
    expect(created?.tenantId).toBe(tenantId);
    expect(created?.payload).toMatchObject({ unreadCount: 2, isQuiet: false });
  });

  it('turns a mention into a mention for the mentioned, and leaves outsiders out', async () => {
    const outsider = await platform.user(tenantId, { fullName: 'Out' });
    const message = messageOf(group.id, ann.userId, { mentions: [ben.userId, outsider.userId, ann.userId] });
    const msgId = await conversationEvent(events.messageCreated, { message });
    expect(await typesOf(ben, msgId)).toEqual(['mention']);
    expect(await typesOf(cat, msgId)).toEqual(['message']);
    expect(await typesOf(outsider, msgId)).toEqual([]);
    expect(await typesOf(ann, msgId)).toEqual([]);
  });

  it('notifies a mention an edit adds, once, and never one notified already', async () => {
    const message = messageOf(group.id, ann.userId, {
      body: 'Who brings the goggles?',
      mentions: [ben.userId],
    });
    await conversationEvent(events.messageCreated, { message });
    const edit = (mentions: string[], body: string) =>
      conversationEvent(events.messageEdited, {
        message: { ...message, body, mentions, editedAt: new Date().toISOString() },
      });
    await edit([ben.userId, cat.userId], 'Who brings the goggles? Cat?');
    await edit([ben.userId, cat.userId], 'Who brings the goggles? Cat, please');
    const mentionsOf = async (user: Principal) =>
      (await platform.notificationsOf(user.userId)).filter(
        (row) => row.type === 'mention' && (row.data as { messageId?: string }).messageId === message.id,
      );
    expect(await mentionsOf(ben)).toHaveLength(1);
    const [catMention] = await mentionsOf(cat);
    expect(catMention).toMatchObject({
      title: 'Ann mentioned you in Chemistry',
      body: 'Who brings the goggles? Cat?',
      data: { conversationId: group.id, messageId: message.id, sequence: message.sequence },
    });
    expect(await mentionsOf(cat)).toHaveLength(1);
    // Nobody else hears of an edit, and the sender never.
    expect((await platform.notificationsOf(ann.userId)).filter((row) => row.type === 'mention')).toEqual([]);
    // A message still waiting for a moderator mentions nobody yet.
    const pending = messageOf(group.id, ann.userId, {
      body: 'Pending',
      status: 'pending',
      mentions: [ben.userId],
    });
    await conversationEvent(events.messageEdited, { message: pending });
    expect(await mentionsOf(ben)).toHaveLength(1);
    // Nor does a mention added to a message older than the notification retention (90 days).
    const old = messageOf(group.id, ann.userId, { body: 'Ancient' });
    const longAgo = new Date(Date.now() - 91 * 24 * 60 * 60 * 1000).toISOString();
    await conversationEvent(events.messageEdited, {
      message: { ...old, createdAt: longAgo, publishedAt: longAgo, mentions: [cat.userId] },
    });
    expect(
      (await platform.notificationsOf(cat.userId)).filter(
        (row) => (row.data as { messageId?: string }).messageId === old.id,
      ),
    ).toEqual([]);
    expect(
      (await platform.notificationsOf(ben.userId)).filter(
        (row) => (row.data as { messageId?: string }).messageId === pending.id,
      ),
    ).toEqual([]);
  });

  it('tells the author of a message about replies to it', async () => {
    const original = messageOf(group.id, ben.userId, { body: 'Who has the notes?' });
    await conversationEvent(events.messageCreated, { message: original });
    const reply = messageOf(group.id, cat.userId, { body: 'I do', replyToId: original.id });
    const msgId = await conversationEvent(events.messageCreated, { message: reply });
    expect(await typesOf(ben, msgId)).toEqual(['reply']);
    expect(await typesOf(ann, msgId)).toEqual(['message']);
    expect(await typesOf(cat, msgId)).toEqual([]);
  });

  it('tells the author of a message about reactions to it, but not about their own', async () => {
    const original = messageOf(group.id, ann.userId);
    await conversationEvent(events.messageCreated, { message: original });
    const reaction = {
      conversationId: group.id,
      messageId: original.id,
      sequence: original.sequence ?? 0,
      revision: 1,
      emoji: '🎉',
    };
    const byBen = await conversationEvent(events.reactionAdded, { ...reaction, userId: ben.userId });
    const byAnn = await conversationEvent(events.reactionAdded, {
      ...reaction,
      userId: ann.userId,
      emoji: '👍',
    });
    const [row] = (await platform.notificationsOf(ann.userId)).filter(
      (n) => n.source_id === `conversation:${byBen}`,
    );
    expect(row).toMatchObject({ type: 'reaction', title: 'Ben reacted 🎉 to your message' });
    expect(await typesOf(ann, byAnn)).toEqual([]);
    // A reaction to a message this service never saw tells nobody anything.
    const unknown = await conversationEvent(events.reactionAdded, {
      ...reaction,
      messageId: randomUUID(),
      userId: ben.userId,
    });
    expect(await typesOf(ann, unknown)).toEqual([]);
  });

  it('honours a mute: no messages, replies or reactions, but mentions still arrive', async () => {
    const muted = groupOf(ann.userId, 3, 'Muted');
    await conversationEvent(events.conversationCreated, {
      conversation: muted,
      participantIds: [ann.userId, ben.userId, cat.userId],
    });
    const until = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    await conversationEvent(events.participantMuted, {
      conversationId: muted.id,
      participant: participantOf(muted.id, cat.userId, { mutedUntil: until }),
    });
    const catsOwn = messageOf(muted.id, cat.userId);
    await conversationEvent(events.messageCreated, { message: catsOwn });
    const plain = await conversationEvent(events.messageCreated, {
      message: messageOf(muted.id, ann.userId),
    });
    const reply = await conversationEvent(events.messageCreated, {
      message: messageOf(muted.id, ben.userId, { replyToId: catsOwn.id }),
    });
    const reaction = await conversationEvent(events.reactionAdded, {
      conversationId: muted.id,
      messageId: catsOwn.id,
      sequence: catsOwn.sequence ?? 0,
      revision: 1,
      userId: ann.userId,
      emoji: '👀',
    });
    const mention = await conversationEvent(events.messageCreated, {
      message: messageOf(muted.id, ann.userId, { mentions: [cat.userId] }),
    });
    expect(await typesOf(cat, plain)).toEqual([]);
    expect(await typesOf(cat, reply)).toEqual([]);
    expect(await typesOf(cat, reaction)).toEqual([]);
    expect(await typesOf(cat, mention)).toEqual(['mention']);
    expect(await typesOf(ben, plain)).toEqual(['message']);
    // A mute that has run out silences nothing.
    await conversationEvent(events.participantMuted, {
      conversationId: muted.id,
      participant: participantOf(muted.id, cat.userId, {
        mutedUntil: new Date(Date.now() - 1000).toISOString(),
      }),
    });
    const later = await conversationEvent(events.messageCreated, {
      message: messageOf(muted.id, ann.userId),
    });
    expect(await typesOf(cat, later)).toEqual(['message']);
  });

  it('sends no message notification to someone reading the conversation, but still a mention', async () => {
    await platform.reading(tenantId, group.id, cat.userId);
    const plain = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId),
    });
    const mention = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId, { mentions: [cat.userId] }),
    });
    expect(await typesOf(cat, plain)).toEqual([]);
    expect(await typesOf(cat, mention)).toEqual(['mention']);
    expect(await typesOf(ben, plain)).toEqual(['message']);
  });

  it('honours preferences: a type turned off creates nothing', async () => {
    const dee = await platform.user(tenantId, { fullName: 'Dee' });
    const quiet = groupOf(ann.userId, 2, 'Prefs');
    await conversationEvent(events.conversationCreated, {
      conversation: quiet,
      participantIds: [ann.userId, dee.userId],
    });
    await platform.call(dee, api.setPreferences, {
      items: [{ type: 'message', channel: 'in_app', isEnabled: false }],
    });
    const off = await conversationEvent(events.messageCreated, { message: messageOf(quiet.id, ann.userId) });
    expect(await typesOf(dee, off)).toEqual([]);
    // A tenant default applies where the user made no choice; the user's choice wins over it.
    await platform.sql(
      `INSERT INTO notification.preferences (tenant_id, user_id, type, channel, is_enabled)
       VALUES ($1, NULL, 'mention', 'in_app', false)`,
      [tenantId],
    );
    const mention = await conversationEvent(events.messageCreated, {
      message: messageOf(quiet.id, ann.userId, { mentions: [dee.userId] }),
    });
    expect(await typesOf(dee, mention)).toEqual([]);
    await platform.call(dee, api.setPreferences, {
      items: [
        { type: 'message', channel: 'in_app', isEnabled: null },
        { type: 'mention', channel: 'in_app', isEnabled: true },
      ],
    });
    const both = await conversationEvent(events.messageCreated, {
      message: messageOf(quiet.id, ann.userId, { mentions: [dee.userId] }),
    });
    const plainAgain = await conversationEvent(events.messageCreated, {
      message: messageOf(quiet.id, ann.userId),
    });
    expect(await typesOf(dee, both)).toEqual(['mention']);
    expect(await typesOf(dee, plainAgain)).toEqual(['message']);
    await platform.sql('DELETE FROM notification.preferences WHERE tenant_id = $1 AND user_id IS NULL', [
      tenantId,
    ]);
  });

  it('tells someone added to a group by another, not someone who joined by themselves', async () => {
    const eve = await platform.user(tenantId, { fullName: 'Eve' });
    const fay = await platform.user(tenantId, { fullName: 'Fay' });
    const added = await conversationEvent(events.participantJoined, {
      conversationId: group.id,
      lastRevision: 0,
      participant: participantOf(group.id, eve.userId, { addedById: ann.userId, standing: 'guest' }),
    });
    const joined = await conversationEvent(events.participantJoined, {
      conversationId: group.id,
      lastRevision: 0,
      participant: participantOf(group.id, fay.userId),
    });
    const [row] = (await platform.notificationsOf(eve.userId)).filter(
      (n) => n.source_id === `conversation:${added}`,
    );
    expect(row).toMatchObject({
      type: 'conversation_added',
      title: 'Ann added you to Chemistry',
      body: 'You take part in Chemistry as guest',
    });
    expect(await typesOf(fay, joined)).toEqual([]);
    // Both now receive messages; once Fay leaves, she does not.
    await conversationEvent(events.participantLeft, {
      conversationId: group.id,
      userId: fay.userId,
      removedById: null,
    });
    const after = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId),
    });
    expect(await typesOf(eve, after)).toEqual(['message']);
    expect(await typesOf(fay, after)).toEqual([]);
  });

  it('stops notifying a member whose membership has ended', async () => {
    const gus = await platform.user(tenantId, { fullName: 'Gus' });
    await conversationEvent(events.participantJoined, {
      conversationId: group.id,
      lastRevision: 0,
      participant: participantOf(group.id, gus.userId, {
        validUntil: new Date(Date.now() + 60_000).toISOString(),
      }),
    });
    const during = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId),
    });
    await conversationEvent(events.participantStandingChanged, {
      conversationId: group.id,
      participant: participantOf(group.id, gus.userId, {
        validUntil: new Date(Date.now() - 1000).toISOString(),
      }),
    });
    const after = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId),
    });
    expect(await typesOf(gus, during)).toEqual(['message']);
    expect(await typesOf(gus, after)).toEqual([]);
  });

  it('tells the sender about moderation decisions and removals by others', async () => {
    const waiting = messageOf(group.id, ben.userId, { status: 'pending', body: 'Please approve <me>' });
    const approved = await conversationEvent(events.moderationApproved, {
      message: waiting,
      moderatorId: ann.userId,
    });
    const rejected = await conversationEvent(events.moderationRejected, {
      message: { ...waiting, status: 'rejected', rejectionReason: 'Off topic' },
      moderatorId: ann.userId,
      reason: 'Off topic',
    });
    const removed = await conversationEvent(events.messageDeleted, {
      message: { ...messageOf(group.id, ben.userId), body: null },
      deletedById: ann.userId,
    });
    const ownDeletion = await conversationEvent(events.messageDeleted, {
      message: messageOf(group.id, ben.userId),
      deletedById: ben.userId,
    });
    const rows = await platform.notificationsOf(ben.userId);
    const of = (msgId: string) => rows.find((row) => row.source_id === `conversation:${msgId}`);
    expect(of(approved)).toMatchObject({ type: 'moderation_approved', body: 'Please approve <me>' });
    expect(of(rejected)).toMatchObject({
      type: 'moderation_rejected',
      title: 'Your post in Chemistry was not approved',
      body: 'Please approve <me> Reason: Off topic',
    });
    expect(of(removed)).toMatchObject({ type: 'message_removed', body: 'your attachment' });
    expect(of(ownDeletion)).toBeUndefined();
    expect(await typesOf(ann, approved)).toEqual([]);
  });

  it('sends no notification for a direct conversation until its first message', async () => {
    const direct = directOf(ann.userId, ben.userId);
    const created = await conversationEvent(events.conversationCreated, {
      conversation: direct,
      participantIds: direct.directUserIds ?? [],
    });
    const message = await conversationEvent(events.messageCreated, {
      message: messageOf(direct.id, ben.userId, { body: '' }),
    });
    expect(await typesOf(ann, created)).toEqual([]);
    const [row] = (await platform.notificationsOf(ann.userId)).filter(
      (n) => n.source_id === `conversation:${message}`,
    );
    expect(row).toMatchObject({ type: 'message', title: 'Ben', body: 'Sent an attachment' });
  });

  it('follows renames and deletions of conversations', async () => {
    const renamed = groupOf(ann.userId, 2, 'Old name');
    await conversationEvent(events.conversationCreated, {
      conversation: renamed,
      participantIds: [ann.userId, ben.userId],
    });
    await conversationEvent(events.conversationUpdated, {
      conversation: { ...renamed, title: 'New name' },
      changedFields: ['title'],
    });
    const named = await conversationEvent(events.messageCreated, {
      message: messageOf(renamed.id, ann.userId),
    });
    const [row] = (await platform.notificationsOf(ben.userId)).filter(
      (n) => n.source_id === `conversation:${named}`,
    );
    expect(row?.title).toBe('Ann in New name');
    await conversationEvent(events.conversationDeleted, {
      conversationId: renamed.id,
      deletedById: ann.userId,
    });
    const gone = await conversationEvent(events.messageCreated, {
      message: messageOf(renamed.id, ann.userId),
    });
    expect(await typesOf(ben, gone)).toEqual([]);
  });

  it('notifies nobody of a message in a conversation it never heard of, nor suspended users', async () => {
    const unknown = await conversationEvent(events.messageCreated, {
      message: messageOf(randomUUID(), ann.userId),
    });
    expect(await typesOf(ben, unknown)).toEqual([]);
    const hal = await platform.user(tenantId, { fullName: 'Hal', status: 'suspended' });
    await conversationEvent(events.participantJoined, {
      conversationId: group.id,
      lastRevision: 0,
      participant: participantOf(group.id, hal.userId),
    });
    const message = await conversationEvent(events.messageCreated, {
      message: messageOf(group.id, ann.userId),
    });
    expect(await typesOf(hal, message)).toEqual([]);
  });

  it('tells the owner of a rejected file why', async () => {
    const file = rejectedFileOf(tenantId, cat.userId, 'virus.exe');
    const msgId = await platform.publish(fileEvents.rejected, tenantId, { file });
    await platform.handled(fileDurable, msgId);
    const [row] = (await platform.notificationsOf(cat.userId)).filter((n) => n.source_id === `file:${msgId}`);
    expect(row).toMatchObject({
      type: 'file_rejected',
      title: 'Your file virus.exe was rejected',
      body: 'The file was not stored: files of this type are not accepted.',
      data: { fileId: file.id, reason: 'type_not_allowed' },
    });
  });

  it('marks read what the user has read in the conversation itself', async () => {
    const room = groupOf(ann.userId, 2, 'Reading room');
    await conversationEvent(events.conversationCreated, {
      conversation: room,
      participantIds: [ann.userId, ben.userId],
    });
    const messages = [
      messageOf(room.id, ann.userId),
      messageOf(room.id, ann.userId, { mentions: [ben.userId] }),
      messageOf(room.id, ann.userId),
    ];
    for (const message of messages) {
      await conversationEvent(events.messageCreated, { message });
    }
    const before = (await platform.call(ben, api.count, {})).unreadCount;
    await conversationEvent(events.receiptUpdated, {
      conversationId: room.id,
      userId: ben.userId,
      lastReadSequence: messages[1]?.sequence ?? 0,
      readAt: new Date().toISOString(),
    });
    const rows = (await platform.notificationsOf(ben.userId)).filter(
      (row) => row.data['conversationId'] === room.id,
    );
    expect(rows.map((row) => [row.type, row.status])).toEqual([
      ['conversation_added', 'new'],
      ['message', 'read'],
      ['mention', 'read'],
      ['message', 'new'],
    ]);
    expect(await platform.call(ben, api.count, {})).toEqual({ unreadCount: before - 2 });
    const read = await eventsMatching(
      platform,
      (event) =>
        event.type === 'notification.read' &&
        event.payload['recipientId'] === ben.userId &&
        rows.some((row) => row.id === event.payload['notificationId']),
      2,
    );
    expect(read.map((event) => event.payload['unreadCount'])).toEqual([before - 2, before - 2]);
    // A reader who was never notified has nothing to mark.
    const never = await conversationEvent(events.receiptUpdated, {
      conversationId: room.id,
      userId: randomUUID(),
      lastReadSequence: 99,
      readAt: new Date().toISOString(),
    });
    expect(never).toBeDefined();
  });

  it('keeps its copies up to date from old events, but notifies nobody of them', async () => {
    // Event ids are version-7 UUIDs: this one was made two days ago (a consumer catching up).
    const madeAt = (Date.now() - 2 * 24 * 60 * 60 * 1000).toString(16).padStart(12, '0');
    const oldId = `${madeAt.slice(0, 8)}-${madeAt.slice(8)}-7000-8000-${randomUUID().slice(-12)}`;
    const message = messageOf(group.id, ann.userId);
    await platform.publish(events.messageCreated, tenantId, { message }, oldId);
    await platform.handled(conversationDurable, oldId);
    expect(await typesOf(ben, oldId)).toEqual([]);
    // Its sender was recorded all the same: a reaction today reaches them.
    const reaction = await conversationEvent(events.reactionAdded, {
      conversationId: group.id,
      messageId: message.id,
      sequence: message.sequence ?? 0,
      revision: 1,
      userId: ben.userId,
      emoji: '👍',
    });
    expect(await typesOf(ann, reaction)).toEqual(['reaction']);
  });

  it('forgets the senders of messages past retention', async () => {
    const message = messageOf(group.id, ann.userId);
    await conversationEvent(events.messageCreated, { message });
    await platform.sql(
      `UPDATE notification.message_senders SET created_at = now() - interval '31 days' WHERE message_id = $1`,
      [message.id],
    );
    const pruned = await platform.notification.get(MaintenanceService).prune();
    expect(pruned.senders).toBeGreaterThanOrEqual(1);
    const reaction = await conversationEvent(events.reactionAdded, {
      conversationId: group.id,
      messageId: message.id,
      sequence: message.sequence ?? 0,
      revision: 1,
      userId: ben.userId,
      emoji: '👍',
    });
    expect(await typesOf(ann, reaction)).toEqual([]);
  });

  it('keeps users as identity last described them, whatever order the events arrive in', async () => {
    const ivy = await platform.user(tenantId, { fullName: 'Ivy' });
    const [copy] = await platform.sql<{ identity_updated_at: Date }>(
      'SELECT identity_updated_at FROM notification.users WHERE user_id = $1',
      [ivy.userId],
    );
    const user = {
      id: ivy.userId,
      tenantId,
      kind: 'person' as const,
      email: 'ivy@example.test',
      fullName: 'Ivy Renamed',
      designation: null,
      status: 'suspended' as const,
      createdAt: new Date().toISOString(),
    };
    const stale = await platform.publish(identityEvents.userUpdated, tenantId, {
      user: {
        ...user,
        updatedAt: new Date((copy?.identity_updated_at.getTime() ?? 0) - 60_000).toISOString(),
      },
      changedFields: ['fullName'],
    });
    await platform.handled(identityDurable, stale);
    const revoked = await platform.publish(identityEvents.sessionRevoked, tenantId, {
      sessionId: randomUUID(),
      userId: ivy.userId,
      reason: 'logout',
      revokedAt: new Date().toISOString(),
    });
    await platform.handled(identityDurable, revoked);
    const read = () =>
      platform.sql<{ full_name: string; status: string }>(
        'SELECT full_name, status FROM notification.users WHERE user_id = $1',
        [ivy.userId],
      );
    expect(await read()).toEqual([{ full_name: 'Ivy', status: 'active' }]);
    const suspended = await platform.publish(identityEvents.userSuspended, tenantId, {
      user: { ...user, updatedAt: new Date(Date.now() + 1000).toISOString() },
      reason: null,
    });
    await platform.handled(identityDurable, suspended);
    expect(await read()).toEqual([{ full_name: 'Ivy Renamed', status: 'suspended' }]);
    // A suspended owner hears nothing about their files either.
    const file = await platform.publish(fileEvents.rejected, tenantId, {
      file: rejectedFileOf(tenantId, ivy.userId),
    });
    await platform.handled(fileDurable, file);
    expect(await platform.notificationsOf(ivy.userId)).toEqual([]);
  });

  it('creates nothing new when every event is delivered again', async () => {
    const before = await platform.sql<{ count: string }>('SELECT count(*) FROM notification.notifications');
    const last = await conversationEvent(events.messageCreated, { message: messageOf(group.id, ben.userId) });
    const afterLast = await platform.sql<{ count: string }>(
      'SELECT count(*) FROM notification.notifications',
    );
    expect(Number(afterLast[0]?.count)).toBeGreaterThan(Number(before[0]?.count));
    // A new instance whose durable consumers start again from the beginning of each stream.
    await platform.restart(async () => {
      const jsm = await jetstreamManager(platform.nats);
      await jsm.consumers.delete(
        platform.namespace.stream(eventStreamName('conversation')),
        conversationDurable,
      );
      await jsm.consumers.delete(platform.namespace.stream(eventStreamName('file')), fileDurable);
    });
    const jsm = await jetstreamManager(platform.nats);
    const stream = platform.namespace.stream(eventStreamName('conversation'));
    const { state } = await jsm.streams.info(stream);
    const consumer = await eventually(
      () => jsm.consumers.info(stream, conversationDurable),
      (info) => info.ack_floor.stream_seq >= state.last_seq,
      15_000,
    );
    expect(consumer.ack_floor.stream_seq).toBe(state.last_seq);
    expect(consumer.delivered.consumer_seq).toBeGreaterThanOrEqual(state.messages);
    const after = await platform.sql<{ count: string }>('SELECT count(*) FROM notification.notifications');
    expect(after[0]?.count).toBe(afterLast[0]?.count);
    // Still working: a new event after the redelivery is handled as usual.
    const next = await conversationEvent(events.messageCreated, { message: messageOf(group.id, ben.userId) });
    expect(await typesOf(ann, next)).toEqual(['message']);
    expect(await typesOf(ann, last)).toEqual(['message']);
  });
});
