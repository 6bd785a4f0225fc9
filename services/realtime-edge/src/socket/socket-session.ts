import { ParleyError, type Principal, type RoomRef } from '@parley/contracts';
import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { TokenTransport } from '../auth/handshake-token.js';
import type { TokenBucket } from './token-bucket.js';

/** What the edge keeps about one authenticated socket (Socket.IO's `socket.data`). */
export interface SocketSession {
  principal: Principal;
  /** The access token the socket acts with; replaced by `auth:refresh`. */
  token: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
  readonly transport: TokenTransport;
  /** Rooms other than conversations this socket holds on NATS (user, tenant, admins, presence), by key. */
  readonly rooms: Map<string, RoomRef>;
  /** Conversations the socket follows (or is catching up with). */
  readonly conversations: Set<string>;
  /** Conversations the socket has on screen (`conversation:focus`). */
  readonly focused: Set<string>;
  /** When the socket last passed on `typing:start`, by conversation. */
  readonly typingSentAt: Map<string, number>;
  presence: 'online' | 'away';
  readonly bucket: TokenBucket;
  /** Warns before the token expires, then ends the connection when it does. */
  timer: NodeJS.Timeout | undefined;
}

export type EdgeSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketSession>;
export type EdgeServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketSession>;

/** The session of an authenticated socket; only the handshake middleware creates sockets without one. */
export function sessionOf(socket: EdgeSocket): SocketSession {
  const session = socket.data as SocketSession | undefined;
  if (session?.principal === undefined) {
    throw new ParleyError('unauthenticated', 'The connection is not authenticated', { reason: 'missing' });
  }
  return session;
}
