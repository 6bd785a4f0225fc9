import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { parleyErrorFrom } from './error-details.js';
import type { Namespace } from './namespace.js';

/**
 * Which messages a consumer has already handled, so that a redelivered or republished message
 * is acknowledged without running its handler again. Two calls rather than one atomic claim: a
 * message is remembered only after its handler succeeded, so a handler that fails (or a process
 * that dies mid-way) leaves it unclaimed and the redelivery runs it again. JetStream hands one
 * message of a durable consumer to one worker at a time, so the gap between the two calls does
 * not let two workers run the same message concurrently.
 */
export interface IdempotencyStore {
  /** True when `consumer` already handled `messageId`. */
  seen(consumer: string, messageId: string): Promise<boolean>;
  /** Records that `consumer` handled `messageId`; called only after the handler succeeded. */
  remember(consumer: string, messageId: string): Promise<void>;
}

export interface KvIdempotencyOptions {
  /** How long a handled message id is remembered; longer than any redelivery or republish. */
  ttlMs?: number;
  /** Canonical bucket name; the namespace is applied. */
  bucket?: string;
}

const safeToken = /^[A-Za-z0-9_=-]+$/;

/** `IdempotencyStore` in a NATS KV bucket of the namespace, entries expiring after a TTL. */
export class KvIdempotencyStore implements IdempotencyStore {
  private constructor(private readonly kv: KV) {}

  /** Opens the bucket, creating it when missing. */
  static async open(
    connection: NatsConnection,
    namespace: Namespace,
    options: KvIdempotencyOptions = {},
  ): Promise<KvIdempotencyStore> {
    const bucket = namespace.stream(options.bucket ?? 'idempotency');
    try {
      const kv = await new Kvm(connection).create(bucket, {
        ttl: options.ttlMs ?? 7 * 24 * 60 * 60 * 1000,
        history: 1,
      });
      return new KvIdempotencyStore(kv);
    } catch (error) {
      throw unavailable(`Cannot open the idempotency bucket ${bucket}`, error);
    }
  }

  async seen(consumer: string, messageId: string): Promise<boolean> {
    const key = keyOf(consumer, messageId);
    try {
      const entry = await this.kv.get(key);
      return entry !== null && entry.operation === 'PUT';
    } catch (error) {
      throw unavailable('Cannot read the idempotency bucket', error);
    }
  }

  async remember(consumer: string, messageId: string): Promise<void> {
    const key = keyOf(consumer, messageId);
    try {
      await this.kv.put(key, '1');
    } catch (error) {
      throw unavailable('Cannot write the idempotency bucket', error);
    }
  }
}

/** `<consumer>.<message id>`; an id with characters a key cannot hold is base64url-encoded. */
export function keyOf(consumer: string, messageId: string): string {
  if (!safeToken.test(consumer)) {
    throw new ParleyError('validation_failed', `Invalid consumer name "${consumer}"`);
  }
  if (messageId === '') {
    throw new ParleyError('validation_failed', 'Empty message id');
  }
  // Encoded ids carry an extra token, so they can never equal a plain one.
  return safeToken.test(messageId)
    ? `${consumer}.${messageId}`
    : `${consumer}.b64.${Buffer.from(messageId, 'utf8').toString('base64url')}`;
}

function unavailable(message: string, error: unknown): ParleyError {
  return parleyErrorFrom(error, 'unavailable', message);
}
