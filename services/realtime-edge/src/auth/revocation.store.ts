import type { KV } from '@nats-io/kv';
import { revocationEntrySchema, revocationKey, type RevocationEntry } from '@parley/contracts';

/**
 * Sessions that ended before their access tokens expired. A token of such a session still has a
 * valid signature, so the edge refuses it by its session id. Entries live as long as an access
 * token can (the bucket's TTL), after which no token of the session can be valid anyway.
 */
export class RevocationStore {
  constructor(private readonly kv: KV) {}

  async record(tenantId: string, sessionId: string, reason: RevocationEntry['reason']): Promise<void> {
    const entry: RevocationEntry = { reason, at: Date.now() };
    await this.kv.put(revocationKey(tenantId, sessionId), JSON.stringify(entry));
  }

  /** Why the session was revoked; undefined while it is not. */
  async reasonFor(tenantId: string, sessionId: string): Promise<RevocationEntry['reason'] | undefined> {
    const entry = await this.kv.get(revocationKey(tenantId, sessionId));
    if (entry === null || entry.operation !== 'PUT') {
      return undefined;
    }
    const parsed = revocationEntrySchema.safeParse(entry.json());
    // An unreadable entry still means the session was revoked.
    return parsed.success ? parsed.data.reason : 'session_revoked';
  }
}
