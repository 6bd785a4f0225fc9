import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parleyErrorFrom } from './error-details.js';

/** Injection token of the process's one `NatsConnection`. */
export const NATS_CONNECTION = Symbol.for('parley.nats.connection');

export interface NatsConnectOptions {
  /** One server URL or several, comma-separated (`nats://user:pass@host:4222`). */
  url: string;
  /** Client name shown by the server (`nats server report connections`): the service name. */
  name: string;
  /** Pause between reconnect attempts; reconnecting never gives up. */
  reconnectTimeWaitMs?: number;
}

/**
 * Opens a connection that reconnects forever: a service outlives any NATS restart, and readiness
 * probes (`NatsHealth`) report the gap instead.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const servers = options.url
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  try {
    return await connect({
      servers,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1000,
      // Every request would otherwise build an error with a stack trace up front, in case it
      // times out: a few percent of a busy service's CPU. Our errors name the subject instead.
      noAsyncTraces: true,
    });
  } catch (error) {
    throw parleyErrorFrom(
      error,
      'unavailable',
      `Cannot connect to NATS at ${servers.map(redact).join(', ')}`,
    );
  }
}

function redact(server: string): string {
  return server.replace(/\/\/[^@/]*@/, '//***@');
}
