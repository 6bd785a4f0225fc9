import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import {
  eventFilter,
  parseEventSubject,
  permissionEvents,
  permissionRequests,
  type Principal,
} from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION, NatsRpcClient } from '@parley/nats';
import { CompiledPermissions } from './ability.js';

export interface AbilityCacheOptions {
  /** Longest an entry is used without asking again, even if no change event arrives. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}
export const ABILITY_CACHE_OPTIONS = Symbol('ABILITY_CACHE_OPTIONS');

interface Entry {
  permissions: CompiledPermissions;
  expiresAt: number;
}

/**
 * Compiled permissions per actor and tenant, fetched from the permission service on a miss (with
 * the actor's own token) and shared by concurrent misses.
 *
 * Staleness: an entry is dropped as soon as an `assignment.changed` (that actor) or
 * `permission-set.changed` (the whole tenant) event arrives — milliseconds after the change — and
 * is never used past `min(validUntil, fetched + ttlMs)`, so a missed event costs at most `ttlMs`
 * (30 s by default).
 */
@Injectable()
export class AbilityCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(AbilityCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<CompiledPermissions>>();
  private readonly subscriptions: Subscription[] = [];
  private readonly now: () => number;
  /** Bumped by every invalidation, so a fetch that raced with one is not stored. */
  private generation = 0;
  readonly counters = { hits: 0, misses: 0, invalidations: 0 };

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    @Inject(ABILITY_CACHE_OPTIONS) private readonly options: AbilityCacheOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  onApplicationBootstrap(): void {
    // Core subscriptions see every JetStream publish on these subjects, on every instance.
    const listen = (
      type: string,
      handle: (tenantId: string, payload: Record<string, unknown>) => void,
    ): void => {
      const subscription = this.nats.subscribe(this.namespace.subject(eventFilter('permission', type)), {
        callback: (error, message) => {
          if (error) {
            return;
          }
          const parsed = parseEventSubject(this.namespace.strip(message.subject));
          try {
            if (parsed) {
              handle(parsed.tenantId, message.json<Record<string, unknown>>());
            }
          } catch (failure) {
            this.logger.warn(
              { err: failure, subject: message.subject },
              'Unreadable permission event; dropping the tenant',
            );
            if (parsed) {
              this.invalidateTenant(parsed.tenantId);
            }
          }
        },
      });
      this.subscriptions.push(subscription);
    };
    listen(permissionEvents.assignmentChanged.type, (tenantId, payload) => {
      const actorId = payload['actorId'];
      if (typeof actorId === 'string') {
        this.invalidateActor(tenantId, actorId);
      } else {
        this.invalidateTenant(tenantId);
      }
    });
    listen(permissionEvents.permissionSetChanged.type, (tenantId) => this.invalidateTenant(tenantId));
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions) {
      subscription.unsubscribe();
    }
  }

  /** The actor's compiled permissions, from the cache or the permission service. */
  async permissionsOf(principal: Principal, token: string): Promise<CompiledPermissions> {
    const key = keyOf(principal.tenantId, principal.userId);
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      this.counters.hits += 1;
      // Most recently used last: the Map's order is the eviction order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return entry.permissions;
    }
    this.counters.misses += 1;
    const pending = this.loading.get(key);
    if (pending) {
      return pending;
    }
    const load = this.fetch(key, principal, token).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  invalidateActor(tenantId: string, actorId: string): void {
    this.generation += 1;
    this.counters.invalidations += 1;
    this.entries.delete(keyOf(tenantId, actorId));
  }

  invalidateTenant(tenantId: string): void {
    this.generation += 1;
    this.counters.invalidations += 1;
    for (const key of this.entries.keys()) {
      if (key.startsWith(`${tenantId}:`)) {
        this.entries.delete(key);
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private async fetch(key: string, principal: Principal, token: string): Promise<CompiledPermissions> {
    const generation = this.generation;
    const fetchedAt = this.now();
    const effective = await this.rpc.request(
      permissionRequests.effective,
      { actorId: principal.userId },
      { token },
    );
    const permissions = new CompiledPermissions(effective.rules);
    if (generation === this.generation) {
      const expiresAt = Math.min(Date.parse(effective.validUntil), fetchedAt + this.options.ttlMs);
      this.entries.set(key, { permissions, expiresAt });
      if (this.entries.size > this.options.maxEntries) {
        this.entries.delete(this.entries.keys().next().value as string);
      }
    }
    return permissions;
  }
}

function keyOf(tenantId: string, actorId: string): string {
  return `${tenantId}:${actorId}`;
}
