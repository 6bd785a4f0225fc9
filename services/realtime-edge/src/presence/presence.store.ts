import type { KV, KvEntry } from '@nats-io/kv';
import {
  ParleyError,
  presenceEntrySchema,
  presenceKey,
  type Presence,
  type PresenceEntry,
} from '@parley/contracts';
import { isRevisionConflict } from '../kv/buckets.js';

/** A user's presence before and after one change, and on how many instances they have sockets. */
export interface PresenceChange {
  readonly before: Presence;
  readonly after: Presence;
  readonly instances: number;
}

const maxAttempts = 8;

/** The presence an entry shows at `now`: entries not refreshed within the TTL count for nothing. */
export function summarize(userId: string, entry: PresenceEntry, now: number, ttlMs: number): Presence {
  const live = Object.values(entry.instances).filter((instance) => instance.seen > now - ttlMs);
  if (live.length === 0) {
    return { userId, status: 'offline', since: null };
  }
  const online = live.filter((instance) => instance.status === 'online');
  const shown = online.length > 0 ? online : live;
  const since = Math.min(...shown.map((instance) => instance.since));
  return { userId, status: online.length > 0 ? 'online' : 'away', since: new Date(since).toISOString() };
}

/**
 * Presence in a NATS KV bucket: one entry per user holding, per edge instance, the best status of
 * that instance's sockets of the user and when the instance last refreshed it. Instances change
 * their part with compare-and-set, so concurrent changes from several instances never overwrite
 * each other; parts of instances that stopped refreshing (crashed) are dropped on the next change
 * and ignored before that.
 */
export class PresenceStore {
  constructor(
    private readonly kv: KV,
    private readonly ttlMs: number,
  ) {}

  async read(tenantId: string, userId: string, now = Date.now()): Promise<Presence> {
    const current = await this.kv.get(presenceKey(tenantId, userId));
    return summarize(userId, entryOf(current), now, this.ttlMs);
  }

  /**
   * Sets this instance's part of the user's entry (refreshing it), or removes it (`null`); answers
   * the user's presence before and after.
   */
  async change(
    tenantId: string,
    userId: string,
    instanceId: string,
    status: 'online' | 'away' | null,
    now = Date.now(),
  ): Promise<PresenceChange> {
    const key = presenceKey(tenantId, userId);
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      const current = await this.kv.get(key);
      const entry = entryOf(current);
      const before = summarize(userId, entry, now, this.ttlMs);
      const instances = Object.fromEntries(
        Object.entries(entry.instances).filter(([, instance]) => instance.seen > now - this.ttlMs),
      );
      const previous = instances[instanceId];
      if (status === null) {
        delete instances[instanceId];
      } else {
        instances[instanceId] = {
          status,
          since: previous?.status === status ? previous.since : now,
          seen: now,
        };
      }
      const next: PresenceEntry = { instances };
      try {
        await this.write(key, current, next);
      } catch (error) {
        if (isRevisionConflict(error)) {
          continue;
        }
        throw error;
      }
      return {
        before,
        after: summarize(userId, next, now, this.ttlMs),
        instances: Object.keys(instances).length,
      };
    }
    throw new ParleyError('unavailable', 'Presence keeps changing; try again');
  }

  private async write(key: string, current: KvEntry | null, next: PresenceEntry): Promise<void> {
    const live = current !== null && current.operation === 'PUT';
    if (Object.keys(next.instances).length === 0) {
      if (live) {
        await this.kv.delete(key, { previousSeq: current.revision });
      }
      return;
    }
    const value = JSON.stringify(next);
    if (current === null) {
      await this.kv.create(key, value);
    } else {
      await this.kv.update(key, value, current.revision);
    }
  }
}

function entryOf(current: KvEntry | null): PresenceEntry {
  if (current === null || current.operation !== 'PUT') {
    return { instances: {} };
  }
  const parsed = presenceEntrySchema.safeParse(current.json());
  return parsed.success ? parsed.data : { instances: {} };
}
