import { Inject, Injectable } from '@nestjs/common';
import { ParleyError, realtimeCommands, validationError, type SocketCommand } from '@parley/contracts';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { sessionOf, type EdgeSocket } from './socket-session.js';
import { TokenBucket } from './token-bucket.js';

export type Admission =
  | { readonly ok: true; readonly command: SocketCommand; readonly payload: unknown }
  | { readonly ok: false; readonly error: ParleyError; readonly command?: SocketCommand };

/** The longest event name repeated back in an error about an unknown event. */
const shownEventLength = 64;

/**
 * What every client event passes before a handler sees it, in this order: a known command, the
 * socket's and the user's rate (token buckets), one payload within the size limit, a payload that
 * matches the command's schema. A refusal is an error envelope for the client, never an exception
 * escaping to Socket.IO.
 */
@Injectable()
export class CommandGate {
  private readonly commands = new Map<string, SocketCommand>(
    Object.values(realtimeCommands).map((command) => [command.event, command]),
  );
  /** Per user (tenant and id) on this instance; forgotten when the user's last socket leaves. */
  private readonly users = new Map<string, TokenBucket>();
  /** On how many instances each user has sockets (from presence), when more than this one. */
  private readonly instanceCounts = new Map<string, number>();

  constructor(@Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings) {}

  /** A fresh bucket for a new socket. */
  socketBucket(now = Date.now()): TokenBucket {
    return new TokenBucket(this.settings.socketRate.perSecond, this.settings.socketRate.burst, now);
  }

  admit(socket: EdgeSocket, event: string, args: readonly unknown[], now = Date.now()): Admission {
    const command = this.commands.get(event);
    if (command === undefined) {
      return {
        ok: false,
        error: new ParleyError('validation_failed', 'Unknown event', {
          event: event.slice(0, shownEventLength),
        }),
      };
    }
    const session = sessionOf(socket);
    if (!session.bucket.take(now)) {
      return { ok: false, command, error: rateLimited('socket', session.bucket.waitMs(now)) };
    }
    const user = this.userBucket(`${session.principal.tenantId}/${session.principal.userId}`, now);
    if (!user.take(now)) {
      return { ok: false, command, error: rateLimited('user', user.waitMs(now)) };
    }
    if (args.length > 1) {
      return {
        ok: false,
        command,
        error: new ParleyError('validation_failed', 'A command carries one payload object'),
      };
    }
    const payload = args[0] ?? {};
    const bytes = sizeOf(payload);
    if (bytes > this.settings.maxEventBytes) {
      return {
        ok: false,
        command,
        error: new ParleyError('limit_exceeded', 'The event is too large', {
          limit: 'event_bytes',
          max: this.settings.maxEventBytes,
        }),
      };
    }
    const parsed = command.payload.safeParse(payload);
    if (!parsed.success) {
      return { ok: false, command, error: validationError(`${command.event} payload`, parsed.error) };
    }
    return { ok: true, command, payload: parsed.data };
  }

  /** The user has no socket left on this instance. */
  forget(tenantId: string, userId: string): void {
    this.users.delete(`${tenantId}/${userId}`);
    this.instanceCounts.delete(`${tenantId}/${userId}`);
  }

  /**
   * The user has sockets on `instances` edge instances (presence says so, refreshed well within
   * its TTL): each instance's part of the user's rate is that share, so that the user's total
   * stays near REALTIME_USER_RATE however many instances their sockets reach.
   */
  shareUser(tenantId: string, userId: string, instances: number, now = Date.now()): void {
    const key = `${tenantId}/${userId}`;
    const count = Math.max(1, instances);
    if ((this.instanceCounts.get(key) ?? 1) === count) {
      return;
    }
    if (count === 1) {
      this.instanceCounts.delete(key);
    } else {
      this.instanceCounts.set(key, count);
    }
    const { perSecond, burst } = this.userShare(key);
    this.users.get(key)?.resize(perSecond, burst, now);
  }

  private userBucket(key: string, now: number): TokenBucket {
    let bucket = this.users.get(key);
    if (bucket === undefined) {
      const { perSecond, burst } = this.userShare(key);
      bucket = new TokenBucket(perSecond, burst, now);
      this.users.set(key, bucket);
    }
    return bucket;
  }

  /** This instance's part of the user's rate. */
  private userShare(key: string): { perSecond: number; burst: number } {
    const count = this.instanceCounts.get(key) ?? 1;
    return {
      perSecond: this.settings.userRate.perSecond / count,
      burst: Math.max(1, Math.floor(this.settings.userRate.burst / count)),
    };
  }
}

function rateLimited(scope: 'socket' | 'user', retryAfterMs: number): ParleyError {
  return new ParleyError('rate_limited', 'Too many events; slow down', { scope, retryAfterMs });
}

/** UTF-8 bytes of the payload as JSON; a payload JSON cannot carry (binary, cycles) counts as too large. */
function sizeOf(payload: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(payload) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
