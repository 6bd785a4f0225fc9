import { z } from 'zod';
import { errorEnvelopeSchema } from '../errors.js';
import type { RequestContract } from '../contract.js';

/**
 * Socket.IO event names: `domain:action` (`message:send`, `sync:reset`), or one word for the few
 * events the protocol names so (`typing`, `presence`, `error`). Lowercase, kebab-case inside a part.
 */
export const socketEventNamePattern = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?::[a-z][a-z0-9]*(?:-[a-z0-9]+)*)?$/;

/**
 * A client → server event. The client passes an acknowledgement callback and receives
 * `{ ok: true, data }` (data matching `ack`) or `{ ok: false, error: { code, message, details } }`,
 * the envelope of every Parley reply.
 */
export interface SocketCommand<
  P extends z.ZodType = z.ZodType,
  A extends z.ZodType = z.ZodType,
  N extends string = string,
> {
  readonly kind: 'command';
  readonly event: N;
  readonly summary: string;
  readonly payload: P;
  readonly ack: A;
  /** The service request the edge turns the command into, with the client's own access token. */
  readonly relays?: RequestContract;
}

/** A server → client event: pushed, never acknowledged. */
export interface SocketEvent<P extends z.ZodType = z.ZodType, N extends string = string> {
  readonly kind: 'server-event';
  readonly event: N;
  readonly summary: string;
  readonly payload: P;
  /** Which sockets receive it (a room, or the one socket concerned). */
  readonly audience: string;
}

export type CommandPayloadOf<C> = C extends SocketCommand<infer P, z.ZodType, string> ? z.input<P> : never;
export type ParsedCommandPayloadOf<C> =
  C extends SocketCommand<infer P, z.ZodType, string> ? z.output<P> : never;
export type CommandAckOf<C> = C extends SocketCommand<z.ZodType, infer A, string> ? z.output<A> : never;
export type SocketEventPayloadOf<E> = E extends SocketEvent<infer P, string> ? z.output<P> : never;

function checkedName<N extends string>(event: N): N {
  if (!socketEventNamePattern.test(event)) {
    throw new Error(
      `Invalid Socket.IO event name "${event}": domain:action in lowercase kebab-case expected`,
    );
  }
  return event;
}

export function defineCommand<P extends z.ZodType, A extends z.ZodType, const N extends string>(definition: {
  event: N;
  summary: string;
  payload: P;
  ack: A;
  relays?: RequestContract;
}): SocketCommand<P, A, N> {
  return {
    kind: 'command',
    event: checkedName(definition.event),
    summary: definition.summary,
    payload: definition.payload,
    ack: definition.ack,
    ...(definition.relays === undefined ? {} : { relays: definition.relays }),
  };
}

export function defineSocketEvent<P extends z.ZodType, const N extends string>(definition: {
  event: N;
  summary: string;
  payload: P;
  audience: string;
}): SocketEvent<P, N> {
  return {
    kind: 'server-event',
    event: checkedName(definition.event),
    summary: definition.summary,
    payload: definition.payload,
    audience: definition.audience,
  };
}

/** An acknowledgement as the client receives it. */
export type Ack<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly error: z.output<typeof errorEnvelopeSchema> };
