import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import type { Namespace } from '@parley/nats';

/**
 * Opens a KV bucket of the namespace, creating it when missing. Every instance does this at
 * start-up; another service may have created the bucket first (the readers bucket is shared with
 * the notification service), in which case its settings stand.
 */
export async function openBucket(
  nats: NatsConnection,
  namespace: Namespace,
  name: string,
  ttlMs: number,
): Promise<KV> {
  const kvm = new Kvm(nats);
  const bucket = namespace.stream(name);
  try {
    return await kvm.create(bucket, { ttl: ttlMs, history: 1 });
  } catch (created) {
    try {
      return await kvm.open(bucket);
    } catch {
      const failure = new ParleyError('unavailable', `Cannot open the KV bucket ${bucket}`);
      failure.cause = created;
      throw failure;
    }
  }
}

/** Whether a KV write failed because the entry changed since it was read (compare-and-set). */
export function isRevisionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return code === 10071 || /wrong last sequence/i.test(message);
}
