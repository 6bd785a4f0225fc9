import { randomUUID } from 'node:crypto';
import type { Conversation, Message, Participant } from '@parley/contracts';
import { routeEvent } from './event-routes.js';

const tenantId = randomUUID();
const conversationId = randomUUID();
const alice = randomUUID();
const bob = randomUUID();
const at = '2026-01-02T03:04:05.000Z';

const message: Message = {
  id: randomUUID(),
  conversationId,
  sequence: 7,
  senderId: alice,
  clientMessageId: 'c1',
  body: 'hi',
  replyToId: null,
  mentions: [],
  attachments: [],
  status: 'published',
  rejectionReason: null,
  editedAt: at,
  deletedAt: at,
  createdAt: at,
  publishedAt: at,
  revision: 0,
};

const conversation: Conversation = {
  id: conversationId,
  kind: 'group',
  title: 'Team',
  topic: null,
  visibility: 'private',
  isRestricted: false,
  isReadOnly: false,
  requiresApproval: false,
  directUserIds: null,
  createdById: alice,
  participantCount: 2,
  lastSequence: 0,
  lastRevision: 0,
  lastActivityAt: at,
  createdAt: at,
  updatedAt: at,
};

const participant: Participant = {
  conversationId,
  userId: bob,
  standing: 'member',
  joinedAt: at,
  addedById: alice,
  validUntil: null,
  mutedUntil: null,
  lastReadSequence: 7,
  lastReadAt: null,
};

const room = (kind: string, id: string) => ({ tenantId, kind, id });

const user = {
  id: bob,
  tenantId,
  kind: 'person' as const,
  email: 'bob@example.test',
  fullName: 'Bob',
  designation: null,
  status: 'active' as const,
  createdAt: at,
  updatedAt: at,
};

describe('routeEvent', () => {
  it('sends a published message to its conversation, ordered as the sequence it creates', () => {
    const route = routeEvent('conversation', 'message.created', tenantId, { message });
    expect(route.deliveries).toEqual([
      {
        room: room('conversation', conversationId),
        envelope: {
          kind: 'emit',
          event: 'message:new',
          data: { ...message, reactions: [] },
          at: Date.parse(at),
          order: { sequence: 7, creates: true },
        },
      },
    ]);
  });

  it('orders edits, deletions, reactions and receipts after the message they concern, changes with their revision', () => {
    const revised = { ...message, revision: 4 };
    const edited = routeEvent('conversation', 'message.edited', tenantId, { message: revised });
    expect(edited.deliveries[0]).toMatchObject({
      room: room('conversation', conversationId),
      envelope: { event: 'message:updated', order: { sequence: 7, creates: false, revision: 4 } },
    });
    const deleted = routeEvent('conversation', 'message.deleted', tenantId, {
      message: { ...message, revision: 5 },
      deletedById: alice,
    });
    expect(deleted.deliveries[0]?.envelope).toMatchObject({
      event: 'message:deleted',
      order: { sequence: 7, revision: 5 },
    });
    const reaction = {
      conversationId,
      messageId: message.id,
      sequence: 7,
      revision: 6,
      userId: bob,
      emoji: '🎉',
    };
    expect(
      routeEvent('conversation', 'reaction.added', tenantId, reaction).deliveries[0]?.envelope,
    ).toMatchObject({
      event: 'reaction:added',
      order: { sequence: 7, creates: false, revision: 6 },
    });
    expect(
      routeEvent('conversation', 'reaction.removed', tenantId, { ...reaction, revision: 7 }).deliveries[0]
        ?.envelope,
    ).toMatchObject({
      event: 'reaction:removed',
      order: { sequence: 7, creates: false, revision: 7 },
    });
    const receipt = { conversationId, userId: bob, lastReadSequence: 7, readAt: at };
    expect(routeEvent('conversation', 'receipt.updated', tenantId, receipt).deliveries[0]).toMatchObject({
      room: room('conversation', conversationId),
      envelope: { event: 'receipt:updated', order: { sequence: 7, creates: false } },
    });
  });

  it('tells only the sender of an edit or deletion of a message that is not published', () => {
    const waiting = { ...message, sequence: null, status: 'pending' as const };
    for (const route of [
      routeEvent('conversation', 'message.edited', tenantId, { message: waiting }),
      routeEvent('conversation', 'message.deleted', tenantId, { message: waiting, deletedById: alice }),
    ]) {
      expect(route.deliveries).toHaveLength(1);
      expect(route.deliveries[0]?.room).toEqual(room('user', alice));
      expect(route.deliveries[0]?.envelope).not.toHaveProperty('order');
    }
  });

  it('tells each participant of a new conversation in their own room', () => {
    const route = routeEvent('conversation', 'conversation.created', tenantId, {
      conversation,
      participantIds: [alice, bob],
    });
    expect(route.deliveries.map((delivery) => delivery.room)).toEqual([
      room('user', alice),
      room('user', bob),
    ]);
    expect(route.deliveries[0]?.envelope).toMatchObject({ event: 'conversation:created' });
  });

  it('tells the followers and the participant of an addition or removal, nobody twice', () => {
    const added = routeEvent('conversation', 'participant.joined', tenantId, { conversationId, participant });
    expect(added.deliveries).toEqual([
      expect.objectContaining({
        room: room('conversation', conversationId),
        envelope: expect.objectContaining({ event: 'participant:added', exceptUserId: bob }),
      }),
      expect.objectContaining({
        room: room('user', bob),
        envelope: expect.not.objectContaining({ exceptUserId: expect.anything() }),
      }),
    ]);
    const removed = routeEvent('conversation', 'participant.left', tenantId, {
      conversationId,
      userId: bob,
      removedById: alice,
    });
    expect(removed.deliveries.map((delivery) => [delivery.room.kind, delivery.envelope.kind])).toEqual([
      ['conversation', 'emit'],
      ['user', 'emit'],
    ]);
  });

  it('routes conversation and participant updates, mutes, deletions and moderation', () => {
    const changes: Array<[string, unknown, string, string]> = [
      [
        'conversation.updated',
        { conversation, changedFields: ['title'] },
        'conversation',
        'conversation:updated',
      ],
      [
        'conversation.deleted',
        { conversationId, deletedById: alice },
        'conversation',
        'conversation:deleted',
      ],
      [
        'participant.standing-changed',
        { conversationId, participant },
        'conversation',
        'participant:updated',
      ],
      ['participant.muted', { conversationId, participant }, 'user', 'participant:updated'],
      ['moderation.approved', { message, moderatorId: alice }, 'user', 'moderation:approved'],
      ['moderation.rejected', { message, moderatorId: alice, reason: null }, 'user', 'moderation:rejected'],
    ];
    for (const [type, payload, kind, event] of changes) {
      const [delivery] = routeEvent('conversation', type, tenantId, payload).deliveries;
      expect([
        type,
        delivery?.room.kind,
        delivery?.envelope.kind === 'emit' && delivery.envelope.event,
      ]).toEqual([type, kind, event]);
    }
    const queued = routeEvent('conversation', 'moderation.queued', tenantId, { message });
    expect(queued.deliveries.map((delivery) => delivery.room)).toEqual([
      room('user', alice),
      room('admins', tenantId),
    ]);
  });

  it('sends notifications and unread counts to the recipient', () => {
    const notification = {
      id: randomUUID(),
      tenantId,
      recipientId: bob,
      type: 'message.mention',
      title: 'Mentioned',
      body: 'Alice mentioned you',
      data: {},
      priority: 'normal',
      status: 'unread',
      actorId: alice,
      createdAt: at,
      readAt: null,
      dismissedAt: null,
    };
    const created = routeEvent('notification', 'notification.created', tenantId, {
      notification,
      unreadCount: 3,
      isQuiet: false,
    });
    expect(created.deliveries[0]).toMatchObject({
      room: room('user', bob),
      envelope: { event: 'notification:new' },
    });
    const read = routeEvent('notification', 'notification.read', tenantId, {
      recipientId: bob,
      notificationId: null,
      readAt: at,
      unreadCount: 0,
    });
    expect(read.deliveries[0]?.envelope).toMatchObject({
      event: 'notification:count',
      data: { notificationId: null, change: 'read', unreadCount: 0 },
    });
    const dismissed = routeEvent('notification', 'notification.dismissed', tenantId, {
      recipientId: bob,
      notificationId: notification.id,
      dismissedAt: at,
      unreadCount: 2,
    });
    expect(dismissed.deliveries[0]?.envelope).toMatchObject({
      data: { notificationId: notification.id, change: 'dismissed', unreadCount: 2 },
    });
  });

  it('ends revoked sessions and suspended users, and remembers the revocation', () => {
    const sessionId = randomUUID();
    const revoked = routeEvent('identity', 'session.revoked', tenantId, {
      sessionId,
      userId: bob,
      reason: 'revoked',
      revokedAt: at,
    });
    expect(revoked).toEqual({
      deliveries: [
        { room: room('user', bob), envelope: { kind: 'end-session', sessionId, reason: 'session_revoked' } },
      ],
      revocation: { sessionId, reason: 'session_revoked' },
    });
    const bySuspension = routeEvent('identity', 'session.revoked', tenantId, {
      sessionId,
      userId: bob,
      reason: 'user_suspended',
      revokedAt: at,
    });
    expect(bySuspension.revocation).toEqual({ sessionId, reason: 'user_suspended' });
    const suspended = routeEvent('identity', 'user.suspended', tenantId, {
      user: { ...user, status: 'suspended' },
      reason: null,
    });
    // Only the end of the user's sessions: the tenant room learns the status from the user.updated
    // identity publishes with every suspension, so it is told once.
    expect(suspended.deliveries).toEqual([
      {
        room: room('user', bob),
        envelope: { kind: 'end-session', sessionId: null, reason: 'user_suspended' },
      },
    ]);
  });

  it('tells the tenant room of a changed profile, without the email', () => {
    const { deliveries } = routeEvent('identity', 'user.updated', tenantId, {
      user: { ...user, fullName: 'Bob Builder' },
      changedFields: ['fullName'],
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.room).toEqual(room('tenant', tenantId));
    expect(deliveries[0]?.envelope).toMatchObject({
      kind: 'emit',
      event: 'user:updated',
      data: { user: { id: bob, fullName: 'Bob Builder' }, changedFields: ['fullName'] },
    });
    expect(JSON.stringify(deliveries[0]?.envelope)).not.toContain(user.email);
  });

  it('routes nowhere what no client needs, and uses the current time when an event has none', () => {
    expect(routeEvent('identity', 'user.created', tenantId, {})).toEqual({ deliveries: [] });
    const before = Date.now();
    const [delivery] = routeEvent('conversation', 'message.edited', tenantId, {
      message: { ...message, editedAt: null },
    }).deliveries;
    expect(delivery?.envelope.kind === 'emit' && delivery.envelope.at).toBeGreaterThanOrEqual(before);
  });
});
