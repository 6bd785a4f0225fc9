import { z } from 'zod';
import { idSchema } from '../common.js';
import { apiVersion } from '../subjects.js';
import { sessionEndReasons } from './realtime-edge.schema.js';

/**
 * Rooms: who receives an event. Every room belongs to one tenant, and so does its subject:
 *
 *   realtime-edge.v1.rooms.<tenant-id>.<kind>.<id>
 *
 * - `user`: every socket of one user (`id` the user id);
 * - `tenant`: every socket of the tenant (`id` the tenant id);
 * - `admins`: the sockets of the tenant's administrators (`id` the tenant id);
 * - `conversation`: the sockets following one conversation (`id` the conversation id);
 * - `presence`: the sockets watching one user's presence (`id` the user id).
 *
 * Room subjects are core NATS (not JetStream): the edge instance that consumes an event publishes
 * it on its room's subject once, and only instances with a socket in that room subscribe.
 */
export const roomKinds = ['user', 'tenant', 'admins', 'conversation', 'presence'] as const;
export type RoomKind = (typeof roomKinds)[number];

export interface RoomRef {
  readonly tenantId: string;
  readonly kind: RoomKind;
  readonly id: string;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkedId(what: string, value: string): string {
  if (!uuid.test(value)) {
    throw new Error(`Invalid ${what} in a room subject: "${value}"`);
  }
  return value;
}

/** The subject of a room. */
export function roomSubject(room: RoomRef): string {
  return `realtime-edge.${apiVersion}.rooms.${checkedId('tenant id', room.tenantId)}.${room.kind}.${checkedId('id', room.id)}`;
}

/**
 * Where an event stands in its conversation's order. `creates`: the event is message `sequence`
 * itself and is sent only once every earlier sequence number was; `follows`: it concerns message
 * `sequence` (an edit, a reaction, a receipt) and is sent only once that message was; a change
 * (an edit, a deletion, a reaction) also carries the `revision` it took.
 */
export const roomOrderSchema = z.object({
  sequence: z.number().int().min(0),
  creates: z.boolean(),
  revision: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('The revision number a change to message `sequence` took'),
});
export type RoomOrder = z.infer<typeof roomOrderSchema>;

/**
 * What travels on a room subject. `emit`: a Socket.IO event for every socket of the room, but the
 * one named in `exceptSocketId` (the sender of a typing indicator) and those of the user
 * `exceptUserId` (a participant added or removed, who receives the event in their own room);
 * `end-session`: the sockets of one session of the room's user (every session when `sessionId` is
 * null) must be disconnected.
 */
export const roomEnvelopeSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('emit'),
    event: z.string().min(1).max(64),
    data: z.unknown(),
    order: roomOrderSchema.optional(),
    exceptSocketId: z.string().max(64).optional(),
    exceptUserId: idSchema.optional(),
    /** When what the event reports happened (milliseconds since the epoch): delivery lag starts here. */
    at: z.number(),
  }),
  z.object({
    kind: z.literal('end-session'),
    sessionId: idSchema.nullable(),
    reason: z.enum(sessionEndReasons),
  }),
]);
export type RoomEnvelope = z.infer<typeof roomEnvelopeSchema>;
export type EmitEnvelope = Extract<RoomEnvelope, { kind: 'emit' }>;

/**
 * NATS KV buckets of the edge. Keys are dot-separated; the bucket's TTL removes what no instance
 * refreshes. (Who reads which conversation goes to `conversationReaders` of the notification
 * contracts.)
 *
 * - `presence`: `<tenant-id>.<user-id>` → which edge instances hold sockets of the user and how
 *   active each is; every instance refreshes its entries well within the TTL.
 * - `revocations`: `<tenant-id>.<session-id>` → why the session ended; kept as long as an access
 *   token can live, so a token of a revoked session is refused at connection.
 */
export const realtimeBuckets = {
  presence: 'realtime_presence',
  revocations: 'realtime_revocations',
} as const;

export function presenceKey(tenantId: string, userId: string): string {
  return `${checkedId('tenant id', tenantId)}.${checkedId('user id', userId)}`;
}

export function revocationKey(tenantId: string, sessionId: string): string {
  return `${checkedId('tenant id', tenantId)}.${checkedId('session id', sessionId)}`;
}

/** A presence entry: per edge instance, the best status of its sockets of the user. */
export const presenceEntrySchema = z.object({
  instances: z.record(
    z.string().min(1).max(64),
    z.object({
      status: z.enum(['online', 'away']),
      since: z.number().describe('Milliseconds since the epoch'),
      seen: z.number().describe('Last refresh by the instance, milliseconds since the epoch'),
    }),
  ),
});
export type PresenceEntry = z.infer<typeof presenceEntrySchema>;

export const revocationEntrySchema = z.object({
  reason: z.enum(['session_revoked', 'user_suspended']),
  at: z.number(),
});
export type RevocationEntry = z.infer<typeof revocationEntrySchema>;
