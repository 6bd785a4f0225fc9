import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';
import type { RequestContract } from '../contract.js';
import { conversationEvents, conversationRequests } from '../conversation/conversation.contracts.js';
import { messageSchema, messageViewSchema } from '../conversation/conversation.schema.js';
import { userSchema } from '../identity/identity.schema.js';
import { notificationEvents, notificationRequests } from '../notification/notification.contracts.js';
import {
  conversationRefSchema,
  presenceSchema,
  realtimeListLimits,
  sessionEndReasons,
  settablePresenceStatuses,
  socketErrorSchema,
  syncAckSchema,
  syncRequestSchema,
} from './realtime-edge.schema.js';
import { defineCommand, defineSocketEvent, type SocketCommand } from './socket-contract.js';

/** A command the edge answers by calling one service request with the client's own token. */
function relay<Req extends z.ZodType, Res extends z.ZodType, const N extends string>(
  event: N,
  request: RequestContract<Req, Res>,
) {
  return defineCommand({
    event,
    summary: request.summary,
    payload: request.request,
    ack: request.response,
    relays: request,
  });
}

const sendPayload = conversationRequests.send.request
  .omit({ conversationId: true })
  .extend({
    conversationId: idSchema.optional().describe('The conversation to post in'),
    toUserId: idSchema
      .optional()
      .describe('Or the other user of a direct conversation, started on first use (peer to peer)'),
  })
  .refine((value) => (value.conversationId === undefined) !== (value.toUserId === undefined), {
    message: 'Name either conversationId or toUserId',
  });

const userIdsSchema = z
  .array(idSchema)
  .min(1)
  .max(realtimeListLimits.presenceUsers)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'Each user may appear once' });

/** Client → server events. Each is acknowledged with `{ ok, data }` or `{ ok: false, error }`. */
export const realtimeCommands = {
  authRefresh: defineCommand({
    event: 'auth:refresh',
    summary:
      'Replace the access token of the connection before it expires (an expired token ends the connection)',
    payload: z.object({ token: z.string().min(1).max(8192) }),
    ack: z.object({ expiresAt: timestampSchema }),
  }),
  conversationSync: defineCommand({
    event: 'conversation:sync',
    summary:
      'Follow conversations from the last sequence number seen in each: the missed messages come first ' +
      '(message:new, in order), then the live events, without gap or duplicate; a gap above the edge’s ' +
      'maximum gets sync:reset instead',
    payload: syncRequestSchema,
    ack: syncAckSchema,
  }),
  conversationUnsubscribe: defineCommand({
    event: 'conversation:unsubscribe',
    summary: 'Stop following a conversation on this socket',
    payload: conversationRefSchema,
    ack: conversationRefSchema,
  }),
  conversationFocus: defineCommand({
    event: 'conversation:focus',
    summary:
      'The conversation is on screen: notifications about it are left out while any socket of the user shows it',
    payload: conversationRefSchema,
    ack: conversationRefSchema.extend({ reading: z.boolean() }),
  }),
  conversationBlur: defineCommand({
    event: 'conversation:blur',
    summary: 'The conversation is no longer on screen',
    payload: conversationRefSchema,
    ack: conversationRefSchema.extend({ reading: z.boolean() }),
  }),
  typingStart: defineCommand({
    event: 'typing:start',
    summary: 'The user is typing in a conversation (sent to the others at most once per throttle interval)',
    payload: conversationRefSchema,
    ack: z.object({ sent: z.boolean().describe('False when throttled') }),
  }),
  typingStop: defineCommand({
    event: 'typing:stop',
    summary: 'The user stopped typing',
    payload: conversationRefSchema,
    ack: z.object({ sent: z.boolean() }),
  }),
  presenceSet: defineCommand({
    event: 'presence:set',
    summary: 'Mark this socket active (online) or idle (away); the user is online while any socket is',
    payload: z.object({ status: z.enum(settablePresenceStatuses) }),
    ack: presenceSchema,
  }),
  presenceSubscribe: defineCommand({
    event: 'presence:subscribe',
    summary: 'Receive presence events of users of the tenant; answers their current presence',
    payload: z.object({ userIds: userIdsSchema }),
    ack: z.object({ presence: z.array(presenceSchema) }),
  }),
  presenceUnsubscribe: defineCommand({
    event: 'presence:unsubscribe',
    summary: 'Stop receiving presence events of users',
    payload: z.object({ userIds: userIdsSchema }),
    ack: z.object({ userIds: z.array(idSchema) }),
  }),
  messageSend: defineCommand({
    event: 'message:send',
    summary:
      'Send a message to a conversation, or to a user (the direct conversation is created on first use). ' +
      'A retry with the same clientMessageId returns the first result',
    payload: sendPayload,
    ack: messageSchema,
    relays: conversationRequests.send,
  }),
  messageEdit: relay('message:edit', conversationRequests.edit),
  messageDelete: relay('message:delete', conversationRequests.deleteMessage),
  messageHistory: relay('message:history', conversationRequests.history),
  messageChanges: relay('message:changes', conversationRequests.changes),
  messageRead: relay('message:read', conversationRequests.markRead),
  reactionAdd: relay('reaction:add', conversationRequests.addReaction),
  reactionRemove: relay('reaction:remove', conversationRequests.removeReaction),
  conversationList: relay('conversation:list', conversationRequests.listMine),
  conversationGet: relay('conversation:get', conversationRequests.get),
  conversationCreate: relay('conversation:create', conversationRequests.createGroup),
  conversationDirect: relay('conversation:direct', conversationRequests.getOrCreateDirect),
  conversationJoin: relay('conversation:join', conversationRequests.join),
  participantAdd: relay('participant:add', conversationRequests.addParticipants),
  participantRemove: relay('participant:remove', conversationRequests.removeParticipant),
  participantLeave: relay('participant:leave', conversationRequests.leave),
  participantList: relay('participant:list', conversationRequests.listParticipants),
  notificationList: relay('notification:list', notificationRequests.list),
  notificationCount: relay('notification:unread-count', notificationRequests.count),
  notificationRead: relay('notification:read', notificationRequests.markRead),
  notificationDismiss: relay('notification:dismiss', notificationRequests.dismiss),
  notificationReadAll: relay('notification:read-all', notificationRequests.markAllRead),
} as const satisfies Record<string, SocketCommand>;

export type RealtimeCommands = typeof realtimeCommands;

/** What every socket of a tenant may see of one of its users. */
export const publicUserSchema = userSchema.pick({
  id: true,
  tenantId: true,
  kind: true,
  fullName: true,
  designation: true,
  status: true,
  updatedAt: true,
});
export type PublicUser = z.infer<typeof publicUserSchema>;

const payloadOf = conversationEvents;

/** Server → client events. */
export const realtimeEvents = {
  messageNew: defineSocketEvent({
    event: 'message:new',
    summary:
      'A message was published. Per conversation in sequence order, each once: missed ones first after ' +
      'conversation:sync, then live ones',
    payload: messageViewSchema,
    audience: 'conversation:<id>',
  }),
  messageRefreshed: defineSocketEvent({
    event: 'message:refreshed',
    summary:
      'A message the client has, as it is now: it changed (edit, deletion, reactions) while the client was ' +
      'not following the conversation. Sent by conversation:sync for a position with a revision number, ' +
      'before the live events; replaces the client’s copy',
    payload: messageViewSchema,
    audience: 'conversation:<id>',
  }),
  messageUpdated: defineSocketEvent({
    event: 'message:updated',
    summary: 'A message’s text changed',
    payload: payloadOf.messageEdited.payload,
    audience: 'conversation:<id>',
  }),
  messageDeleted: defineSocketEvent({
    event: 'message:deleted',
    summary: 'A message was deleted; it keeps its sequence number',
    payload: payloadOf.messageDeleted.payload,
    audience: 'conversation:<id>',
  }),
  reactionAdded: defineSocketEvent({
    event: 'reaction:added',
    summary: 'A participant reacted to a message',
    payload: payloadOf.reactionAdded.payload,
    audience: 'conversation:<id>',
  }),
  reactionRemoved: defineSocketEvent({
    event: 'reaction:removed',
    summary: 'A participant took a reaction back',
    payload: payloadOf.reactionRemoved.payload,
    audience: 'conversation:<id>',
  }),
  receiptUpdated: defineSocketEvent({
    event: 'receipt:updated',
    summary: 'A participant read up to a sequence number',
    payload: payloadOf.receiptUpdated.payload,
    audience: 'conversation:<id>',
  }),
  participantAdded: defineSocketEvent({
    event: 'participant:added',
    summary:
      'A user became a participant; their own sockets start following the conversation from that moment',
    payload: payloadOf.participantJoined.payload,
    audience: 'conversation:<id> and user:<participant id>',
  }),
  participantRemoved: defineSocketEvent({
    event: 'participant:removed',
    summary: 'A participant left or was removed; their sockets stop following the conversation',
    payload: payloadOf.participantLeft.payload,
    audience: 'conversation:<id> and user:<participant id>',
  }),
  participantUpdated: defineSocketEvent({
    event: 'participant:updated',
    summary:
      'A participant’s standing changed (to the conversation), or they muted it (to their own sockets)',
    payload: payloadOf.participantStandingChanged.payload,
    audience: 'conversation:<id>, or user:<participant id> for a mute',
  }),
  conversationCreated: defineSocketEvent({
    event: 'conversation:created',
    summary: 'A conversation with the user was created; their sockets start following it',
    payload: payloadOf.conversationCreated.payload,
    audience: 'user:<participant id>',
  }),
  conversationUpdated: defineSocketEvent({
    event: 'conversation:updated',
    summary: "A group's title or settings changed",
    payload: payloadOf.conversationUpdated.payload,
    audience: 'conversation:<id>',
  }),
  conversationDeleted: defineSocketEvent({
    event: 'conversation:deleted',
    summary: 'A group was deleted; its sockets stop following it',
    payload: payloadOf.conversationDeleted.payload,
    audience: 'conversation:<id>',
  }),
  moderationQueued: defineSocketEvent({
    event: 'moderation:queued',
    summary: 'A message waits for approval: to its sender, and to the tenant administrators',
    payload: payloadOf.moderationQueued.payload,
    audience: 'user:<sender id> and admins:<tenant id>',
  }),
  moderationApproved: defineSocketEvent({
    event: 'moderation:approved',
    summary:
      'A moderator approved the sender’s waiting message (message:new follows with its sequence number)',
    payload: payloadOf.moderationApproved.payload,
    audience: 'user:<sender id>',
  }),
  moderationRejected: defineSocketEvent({
    event: 'moderation:rejected',
    summary: 'A moderator refused the sender’s waiting message',
    payload: payloadOf.moderationRejected.payload,
    audience: 'user:<sender id>',
  }),
  notificationNew: defineSocketEvent({
    event: 'notification:new',
    summary: 'A notification arrived in the user’s inbox, with the unread count after it',
    payload: notificationEvents.created.payload,
    audience: 'user:<recipient id>',
  }),
  notificationCount: defineSocketEvent({
    event: 'notification:count',
    summary: 'The unread count changed because a notification (null: all) was read or dismissed',
    payload: z.object({
      notificationId: idSchema.nullable(),
      change: z.enum(['read', 'dismissed']),
      unreadCount: z.number().int().min(0),
    }),
    audience: 'user:<recipient id>',
  }),
  userUpdated: defineSocketEvent({
    event: 'user:updated',
    summary:
      'A user of the tenant changed their name, designation or status: what others show of them ' +
      '(never their email)',
    payload: z.object({ user: publicUserSchema, changedFields: z.array(z.string()) }),
    audience: 'tenant:<id>',
  }),
  typing: defineSocketEvent({
    event: 'typing',
    summary: 'Someone started or stopped typing (not sent back to the typing socket)',
    payload: z.object({ conversationId: idSchema, userId: idSchema, isTyping: z.boolean() }),
    audience: 'conversation:<id>',
  }),
  presence: defineSocketEvent({
    event: 'presence',
    summary: 'A watched user went online, away or offline',
    payload: presenceSchema,
    audience: 'presence:<user id> (presence:subscribe)',
  }),
  syncReset: defineSocketEvent({
    event: 'sync:reset',
    summary:
      'More was missed in a conversation than the edge replays: reload its history; live events continue ' +
      'after lastSequence',
    payload: z.object({
      conversationId: idSchema,
      lastSequence: z.number().int(),
      missed: z.number().int(),
    }),
    audience: 'the syncing socket, or conversation:<id> when a gap could not be filled',
  }),
  authExpiring: defineSocketEvent({
    event: 'auth:expiring',
    summary: 'The access token expires soon: send auth:refresh with a fresh one',
    payload: z.object({ expiresAt: timestampSchema }),
    audience: 'the socket',
  }),
  authEnded: defineSocketEvent({
    event: 'auth:ended',
    summary: 'The connection ends now: its token expired, its session was revoked or its user suspended',
    payload: z.object({ reason: z.enum(sessionEndReasons) }),
    audience: 'the socket',
  }),
  error: defineSocketEvent({
    event: 'error',
    summary:
      'A command sent without an acknowledgement callback failed, or a frame was refused (unknown event, ' +
      'too large, rate limited)',
    payload: socketErrorSchema,
    audience: 'the socket',
  }),
} as const;

export type RealtimeEvents = typeof realtimeEvents;
