import { z } from 'zod';
import { idSchema, timestampSchema } from '../common.js';
import { errorEnvelopeSchema } from '../errors.js';

/**
 * Why the edge refuses a connection: `details.reason` of the `unauthenticated` error a client
 * receives as the `data` of Socket.IO's `connect_error`.
 *
 * - `missing`: no token in `auth.token`, the `Authorization` header or the `token` query parameter;
 * - `query_token_disabled`: only a `token` query parameter, and this edge accepts none;
 * - `expired`, `invalid` (malformed, bad signature, unknown key), `wrong_issuer`, `wrong_audience`;
 * - `session_revoked`: the token's session was revoked (logout, reuse of a refresh token, an
 *   administrator);
 * - `user_suspended`: the user was suspended.
 */
export const connectRefusalReasons = [
  'missing',
  'query_token_disabled',
  'expired',
  'invalid',
  'wrong_issuer',
  'wrong_audience',
  'session_revoked',
  'user_suspended',
] as const;
export type ConnectRefusalReason = (typeof connectRefusalReasons)[number];

/** The `data` of a refused connection's `connect_error`: the error envelope. */
export const connectRefusalSchema = errorEnvelopeSchema.describe(
  'Why the connection was refused; details.reason is one of the connect refusal reasons',
);

/** Why the edge ends an authenticated connection (`auth:ended`, then a server-side disconnect). */
export const sessionEndReasons = ['token_expired', 'session_revoked', 'user_suspended'] as const;
export type SessionEndReason = (typeof sessionEndReasons)[number];

/** What a user shows: `online` (a socket is active), `away` (every socket is idle), `offline` (none). */
export const presenceStatuses = ['online', 'away', 'offline'] as const;
export type PresenceStatus = (typeof presenceStatuses)[number];

/** What a client may set for its socket; `offline` is the absence of sockets. */
export const settablePresenceStatuses = ['online', 'away'] as const;

export const presenceSchema = z.object({
  userId: idSchema,
  status: z.enum(presenceStatuses),
  since: timestampSchema.nullable().describe('When the user reached this status; null when offline'),
});
export type Presence = z.infer<typeof presenceSchema>;

/** At most this many conversations per `conversation:sync`, and users per presence request. */
export const realtimeListLimits = { syncConversations: 500, presenceUsers: 500 } as const;

/** The sequence numbers a client has seen, by conversation id. */
/**
 * Where a client stands in a conversation: the last sequence number it has seen, and the revision
 * number up to which it has seen every change to those messages.
 */
export const conversationPositionSchema = z.object({
  sequence: z.number().int().min(0).describe('The last sequence number seen (0: none)'),
  revision: z
    .number()
    .int()
    .min(0)
    .describe('Every change (edit, deletion, reaction) up to this revision number has been seen'),
});
export type ConversationPosition = z.infer<typeof conversationPositionSchema>;

export const syncRequestSchema = z.object({
  conversations: z
    .record(idSchema, z.union([z.number().int().min(0), conversationPositionSchema]))
    .refine((value) => Object.keys(value).length <= realtimeListLimits.syncConversations, {
      message: `At most ${realtimeListLimits.syncConversations} conversations per request`,
    })
    .describe(
      'Where the client stands in each conversation: its position, or only the last sequence number ' +
        'seen (0: none), when no change to earlier messages is wanted',
    ),
});

/** How one conversation of a `conversation:sync` went. */
export const syncOutcomeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('synced'),
    lastSequence: z.number().int().describe('Every message up to this one has been sent'),
    lastRevision: z
      .number()
      .int()
      .describe('Every change up to this revision number has been sent, or is in a message sent'),
    replayed: z.number().int().describe('Messages sent from the catch-up'),
    refreshed: z.number().int().describe('Changed messages sent (message:refreshed)'),
  }),
  z.object({
    status: z.literal('reset'),
    lastSequence: z.number().int(),
    lastRevision: z.number().int(),
    missed: z.number().int().describe('More than the edge replays: the client reloads the history'),
  }),
  z.object({ status: z.literal('refused'), error: errorEnvelopeSchema }),
]);
export type SyncOutcome = z.infer<typeof syncOutcomeSchema>;

export const syncAckSchema = z.object({ conversations: z.record(idSchema, syncOutcomeSchema) });
export type SyncAck = z.infer<typeof syncAckSchema>;

export const conversationRefSchema = z.object({ conversationId: idSchema });

/** The `error` event: a command without an acknowledgement callback failed, or a frame was refused. */
export const socketErrorSchema = errorEnvelopeSchema.extend({
  event: z.string().nullable().describe('The client event that failed; null when it could not be read'),
});
export type SocketError = z.infer<typeof socketErrorSchema>;
