import {
  conversationEvents,
  identityEvents,
  notificationEvents,
  realtimeEvents,
  type EventContract,
  type Message,
  type PayloadOf,
  publicUserSchema,
  type PublicUser,
  type RevocationEntry,
  type RoomEnvelope,
  type RoomOrder,
  type RoomRef,
} from '@parley/contracts';
import { adminsRoom, conversationRoom, tenantRoom, userRoom } from '../rooms/room-keys.js';

/** One envelope for one room. */
export interface Delivery {
  readonly room: RoomRef;
  readonly envelope: RoomEnvelope;
}

/** What the edge does with one platform event. */
export interface Route {
  readonly deliveries: readonly Delivery[];
  /** A session whose tokens must be refused from now on. */
  readonly revocation?: { readonly sessionId: string; readonly reason: RevocationEntry['reason'] };
}

const nothing: Route = { deliveries: [] };

type Router<C extends EventContract> = (tenantId: string, payload: PayloadOf<C>) => Route;

interface Entry {
  readonly contract: EventContract;
  readonly route: (tenantId: string, payload: unknown) => Route;
}

function on<C extends EventContract>(contract: C, route: Router<C>): Entry {
  // The consumer has parsed the payload with this very contract.
  return { contract, route: (tenantId, payload) => route(tenantId, payload as PayloadOf<C>) };
}

function instant(timestamp: string | null | undefined): number {
  const parsed = timestamp === null || timestamp === undefined ? Number.NaN : Date.parse(timestamp);
  return Number.isNaN(parsed) ? Date.now() : parsed;
}

function emit(
  room: RoomRef,
  event: string,
  data: unknown,
  at: number,
  extra: { order?: RoomOrder; exceptUserId?: string } = {},
): Delivery {
  return { room, envelope: { kind: 'emit', event, data, at, ...extra } };
}

/** Ordered after message `sequence`; a message without one (never published) waits for nothing. */
function follows(sequence: number | null): { order?: RoomOrder } {
  return sequence === null ? {} : { order: { sequence, creates: false } };
}

/** A change to published message `sequence`, which took `revision` (0: an event from before revisions). */
function changes(sequence: number, revision: number): { order: RoomOrder } {
  return { order: { sequence, creates: false, ...(revision > 0 ? { revision } : {}) } };
}

/**
 * An edit or deletion: a published message's reaches its conversation's room; one still waiting
 * for a moderator (or refused) concerns only its sender, and its text must not reach the others.
 */
function messageChange(
  tenantId: string,
  message: Message,
  change: { event: string; payload: unknown; at: number },
): Route {
  const room =
    message.sequence === null
      ? userRoom(tenantId, message.senderId)
      : conversationRoom(tenantId, message.conversationId);
  return {
    deliveries: [
      emit(
        room,
        change.event,
        change.payload,
        change.at,
        message.sequence === null ? {} : changes(message.sequence, message.revision),
      ),
    ],
  };
}

const events = realtimeEvents;

/**
 * A participant added or removed: the conversation's followers learn it in its room, the participant
 * (whether their sockets follow the conversation or not) in their own room, and nobody twice.
 */
function participantChange(
  tenantId: string,
  conversationId: string,
  userId: string,
  change: { event: string; payload: unknown; at: number },
): Route {
  return {
    deliveries: [
      emit(conversationRoom(tenantId, conversationId), change.event, change.payload, change.at, {
        exceptUserId: userId,
      }),
      emit(userRoom(tenantId, userId), change.event, change.payload, change.at),
    ],
  };
}

const entries: readonly Entry[] = [
  on(conversationEvents.conversationCreated, (tenantId, payload) => ({
    deliveries: payload.participantIds.map((userId) =>
      emit(
        userRoom(tenantId, userId),
        events.conversationCreated.event,
        payload,
        instant(payload.conversation.createdAt),
      ),
    ),
  })),
  on(conversationEvents.conversationUpdated, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversation.id),
        events.conversationUpdated.event,
        payload,
        instant(payload.conversation.updatedAt),
      ),
    ],
  })),
  on(conversationEvents.conversationDeleted, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversationId),
        events.conversationDeleted.event,
        payload,
        Date.now(),
      ),
    ],
  })),
  on(conversationEvents.participantJoined, (tenantId, payload) => {
    const at = instant(payload.participant.joinedAt);
    return participantChange(tenantId, payload.conversationId, payload.participant.userId, {
      event: events.participantAdded.event,
      payload,
      at,
    });
  }),
  on(conversationEvents.participantLeft, (tenantId, payload) =>
    participantChange(tenantId, payload.conversationId, payload.userId, {
      event: events.participantRemoved.event,
      payload,
      at: Date.now(),
    }),
  ),
  on(conversationEvents.participantStandingChanged, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversationId),
        events.participantUpdated.event,
        payload,
        Date.now(),
      ),
    ],
  })),
  on(conversationEvents.participantMuted, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.participant.userId),
        events.participantUpdated.event,
        payload,
        Date.now(),
      ),
    ],
  })),
  on(conversationEvents.messageCreated, (tenantId, { message }) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, message.conversationId),
        events.messageNew.event,
        { ...message, reactions: [] },
        instant(message.publishedAt ?? message.createdAt),
        message.sequence === null ? {} : { order: { sequence: message.sequence, creates: true } },
      ),
    ],
  })),
  on(conversationEvents.messageEdited, (tenantId, payload) =>
    messageChange(tenantId, payload.message, {
      event: events.messageUpdated.event,
      payload,
      at: instant(payload.message.editedAt),
    }),
  ),
  on(conversationEvents.messageDeleted, (tenantId, payload) =>
    messageChange(tenantId, payload.message, {
      event: events.messageDeleted.event,
      payload,
      at: instant(payload.message.deletedAt),
    }),
  ),
  on(conversationEvents.reactionAdded, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversationId),
        events.reactionAdded.event,
        payload,
        Date.now(),
        changes(payload.sequence, payload.revision),
      ),
    ],
  })),
  on(conversationEvents.reactionRemoved, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversationId),
        events.reactionRemoved.event,
        payload,
        Date.now(),
        changes(payload.sequence, payload.revision),
      ),
    ],
  })),
  on(conversationEvents.receiptUpdated, (tenantId, payload) => ({
    deliveries: [
      emit(
        conversationRoom(tenantId, payload.conversationId),
        events.receiptUpdated.event,
        payload,
        instant(payload.readAt),
        follows(payload.lastReadSequence),
      ),
    ],
  })),
  on(conversationEvents.moderationQueued, (tenantId, payload) => {
    const at = instant(payload.message.createdAt);
    return {
      deliveries: [
        emit(userRoom(tenantId, payload.message.senderId), events.moderationQueued.event, payload, at),
        emit(adminsRoom(tenantId), events.moderationQueued.event, payload, at),
      ],
    };
  }),
  on(conversationEvents.moderationApproved, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.message.senderId),
        events.moderationApproved.event,
        payload,
        Date.now(),
      ),
    ],
  })),
  on(conversationEvents.moderationRejected, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.message.senderId),
        events.moderationRejected.event,
        payload,
        Date.now(),
      ),
    ],
  })),
  on(notificationEvents.created, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.notification.recipientId),
        events.notificationNew.event,
        payload,
        instant(payload.notification.createdAt),
      ),
    ],
  })),
  on(notificationEvents.read, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.recipientId),
        events.notificationCount.event,
        { notificationId: payload.notificationId, change: 'read', unreadCount: payload.unreadCount },
        instant(payload.readAt),
      ),
    ],
  })),
  on(notificationEvents.dismissed, (tenantId, payload) => ({
    deliveries: [
      emit(
        userRoom(tenantId, payload.recipientId),
        events.notificationCount.event,
        { notificationId: payload.notificationId, change: 'dismissed', unreadCount: payload.unreadCount },
        instant(payload.dismissedAt),
      ),
    ],
  })),
  on(identityEvents.sessionRevoked, (tenantId, payload) => {
    const reason = payload.reason === 'user_suspended' ? 'user_suspended' : 'session_revoked';
    return {
      deliveries: [
        {
          room: userRoom(tenantId, payload.userId),
          envelope: { kind: 'end-session', sessionId: payload.sessionId, reason },
        },
      ],
      revocation: { sessionId: payload.sessionId, reason },
    };
  }),
  on(identityEvents.userUpdated, (tenantId, payload) => ({
    deliveries: [
      emit(
        tenantRoom(tenantId),
        events.userUpdated.event,
        { user: publicUser(payload.user), changedFields: payload.changedFields },
        instant(payload.user.updatedAt),
      ),
    ],
  })),
  on(identityEvents.userSuspended, (tenantId, payload) => ({
    deliveries: [
      // The rest of the tenant learns the new status from the user.updated that comes with it.
      {
        room: userRoom(tenantId, payload.user.id),
        envelope: { kind: 'end-session', sessionId: null, reason: 'user_suspended' },
      },
    ],
  })),
];

/** A user as every socket of the tenant sees them: the contract's fields, so never the email. */
function publicUser(user: PublicUser): PublicUser {
  return publicUserSchema.parse(user);
}

const byKey = new Map(entries.map((entry) => [`${entry.contract.service} ${entry.contract.type}`, entry]));

/**
 * What the edge does with an event of the platform: which rooms receive which Socket.IO event, and
 * which session to refuse. Events no client needs to see route nowhere.
 */
export function routeEvent(service: string, type: string, tenantId: string, payload: unknown): Route {
  return byKey.get(`${service} ${type}`)?.route(tenantId, payload) ?? nothing;
}
