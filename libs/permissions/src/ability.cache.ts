import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Msg, NatsConnection, Status, Subscription } from '@nats-io/transport-node';
import {
  eventFilter,
  headerNames,
  parseEventSubject,
  ParleyError,
  permissionEvents,
  permissionRequests,
  type Principal,
} from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION, NatsRpcClient } from '@parley/nats';
import { Metrics } from '@parley/observability';
import type { Counter } from 'prom-client';
import { CompiledPermissions } from './ability.js';

export interface AbilityCacheOptions {
  /** Longest an entry is used without asking again, even if no change event arrives. At most 30 s. */
  ttlMs: number;
  /** Actors (per tenant) kept; the least recently used one goes first. */
  maxEntries: number;
  /** How long a miss waits for the permission service; the RPC client's default when omitted. */
  requestTimeoutMs?: number;
  /** Current time in milliseconds; `Date.now` when omitted (tests move it). */
  now?: () => number;
}

export const ABILITY_CACHE_OPTIONS = Symbol('ABILITY_CACHE_OPTIONS');

export const defaultAbilityTtlMs = 30_000;
/** The conventions bound the TTL: it is the maximum staleness when a change event is missed. */
export const maxAbilityTtlMs = 30_000;
export const defaultAbilityMaxEntries = 10_000;

/** What the cache did since it started; also exported as Prometheus counters when `Metrics` exists. */
export interface AbilityCacheCounters {
  hits: number;
  /** Lookups not served from the cache, including those that joined a request under way. */
  misses: number;
  /** Requests sent to the permission service. */
  fetches: number;
  fetchFailures: number;
  /** Invalidations applied: one per event, `invalidate*()` call or reconnect. */
  invalidations: number;
  /** Entries dropped to stay within `maxEntries`. */
  evictions: number;
}

interface Entry {
  readonly tenantId: string;
  readonly permissions: CompiledPermissions;
  /** min(validUntil, requested + ttl), in milliseconds. */
  readonly expiresAt: number;
}

/** One request under way; `stale` is set when an invalidation meets it: answered, but not kept. */
interface Ticket {
  readonly tenantId: string;
  stale: boolean;
}

interface Load {
  readonly ticket: Ticket;
  readonly promise: Promise<CompiledPermissions>;
}

interface PromCounters {
  lookups: Counter<'outcome'>;
  invalidations: Counter<'scope'>;
  fetches: Counter<'outcome'>;
}

/**
 * Compiled permissions per (tenant, actor), fetched from the permission service on a miss with the
 * actor's own access token (`permission.v1.permission.get-effective`). Concurrent misses for one
 * actor share one request. Bounded (LRU).
 *
 * Invalidation: core NATS subscriptions to the namespaced `permission.v1.events.*.assignment.changed`
 * (drops that actor in that tenant) and `permission.v1.events.*.permission-set.changed` (drops the
 * whole tenant). A core subscription, not a JetStream consumer: every instance must see every
 * change (a durable or queue consumer hands each event to one instance), and an empty cache at
 * start-up has nothing to replay, so an ordered consumer would only add server state per instance.
 * What a core subscription can lose (messages during a disconnect, a slow-consumer overflow) is
 * covered by dropping everything on reconnect or overflow, and in the last resort by the TTL. The
 * subscriptions and every fetch share one connection, so the server has the subscriptions before
 * the first fetch: no change can fall between a fetch and the subscription.
 *
 * Maximum staleness: an entry is never used past `min(validUntil, requestedAt + ttlMs)`, where
 * `requestedAt` is when its fetch was sent and `validUntil` is the instant the permission service
 * says the answer may change by itself (a validity or time-window edge). So a change is seen at the
 * latest `ttlMs` (30 s by default, never more) after it was made, even if its event is lost;
 * typically within the event latency (the outbox relay and NATS: milliseconds). A fetch under way
 * when an event for its actor or tenant arrives is answered but not kept. Time-bound changes are
 * exact up to the clock difference between this host and the permission service.
 */
@Injectable()
export class AbilityCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(AbilityCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Load>();
  private readonly subscriptions: Subscription[] = [];
  private readonly now: () => number;
  private readonly prom: PromCounters | undefined;
  private statuses: AsyncIterable<Status> | undefined;
  private stopped = false;
  private readonly live: AbilityCacheCounters = {
    hits: 0,
    misses: 0,
    fetches: 0,
    fetchFailures: 0,
    invalidations: 0,
    evictions: 0,
  };

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    @Inject(ABILITY_CACHE_OPTIONS) private readonly options: AbilityCacheOptions,
    @Optional() @Inject(Metrics) metrics?: Metrics,
  ) {
    this.now = options.now ?? Date.now;
    this.prom = metrics === undefined ? undefined : promCounters(metrics);
  }

  /** Live counters (hits, misses, fetches, invalidations, …). */
  get counters(): Readonly<AbilityCacheCounters> {
    return this.live;
  }

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  onApplicationBootstrap(): void {
    if (this.subscriptions.length > 0) {
      return;
    }
    this.stopped = false;
    this.listen(permissionEvents.assignmentChanged.type, (tenantId, message) => {
      const payload = permissionEvents.assignmentChanged.payload.safeParse(decode(message));
      if (payload.success) {
        this.invalidateActor(tenantId, payload.data.actorId);
        return;
      }
      // Which actor changed is unknown: dropping the tenant is always safe.
      this.logger.warn(
        { subject: message.subject },
        'Unreadable assignment.changed event; dropping the tenant',
      );
      this.invalidateTenant(tenantId);
    });
    this.listen(permissionEvents.permissionSetChanged.type, (tenantId) => this.invalidateTenant(tenantId));
    this.watchConnection();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const subscription of this.subscriptions.splice(0)) {
      subscription.unsubscribe();
    }
    const statuses = this.statuses as { stop?: () => void } | undefined;
    statuses?.stop?.();
    this.statuses = undefined;
    this.entries.clear();
  }

  /**
   * The actor's compiled permissions in the principal's tenant, from the cache or the permission
   * service. `token` is the actor's own access token, needed on a miss only.
   */
  async permissionsOf(principal: Principal, token: string | undefined): Promise<CompiledPermissions> {
    const key = keyOf(principal.tenantId, principal.userId);
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > this.now()) {
        this.live.hits += 1;
        this.prom?.lookups.inc({ outcome: 'hit' });
        // Most recently used last: the Map's order is the eviction order.
        this.entries.delete(key);
        this.entries.set(key, entry);
        return entry.permissions;
      }
      this.entries.delete(key);
    }
    this.live.misses += 1;
    this.prom?.lookups.inc({ outcome: 'miss' });
    const pending = this.loading.get(key);
    if (pending !== undefined) {
      return pending.promise;
    }
    if (token === undefined || token.length === 0) {
      throw new ParleyError('unauthenticated', 'An access token is required to read the permissions', {
        reason: 'missing',
      });
    }
    const ticket: Ticket = { tenantId: principal.tenantId, stale: false };
    const promise = this.fetch(key, ticket, principal, token).finally(() => {
      if (this.loading.get(key)?.ticket === ticket) {
        this.loading.delete(key);
      }
    });
    this.loading.set(key, { ticket, promise });
    return promise;
  }

  /** Drops one actor of a tenant, or the whole tenant when no actor is given. */
  invalidate(tenantId: string, actorId?: string): void {
    if (actorId === undefined) {
      this.invalidateTenant(tenantId);
    } else {
      this.invalidateActor(tenantId, actorId);
    }
  }

  invalidateActor(tenantId: string, actorId: string): void {
    this.counted('actor');
    const key = keyOf(tenantId, actorId);
    this.entries.delete(key);
    const load = this.loading.get(key);
    if (load !== undefined) {
      load.ticket.stale = true;
      this.loading.delete(key);
    }
  }

  invalidateTenant(tenantId: string): void {
    this.counted('tenant');
    for (const [key, entry] of this.entries) {
      if (entry.tenantId === tenantId) {
        this.entries.delete(key);
      }
    }
    for (const [key, load] of this.loading) {
      if (load.ticket.tenantId === tenantId) {
        load.ticket.stale = true;
        this.loading.delete(key);
      }
    }
  }

  /** Drops everything (after a reconnect, when events may have been missed). */
  clear(): void {
    this.counted('all');
    this.entries.clear();
    for (const load of this.loading.values()) {
      load.ticket.stale = true;
    }
    this.loading.clear();
  }

  private async fetch(
    key: string,
    ticket: Ticket,
    principal: Principal,
    token: string,
  ): Promise<CompiledPermissions> {
    const requestedAt = this.now();
    this.live.fetches += 1;
    let effective;
    try {
      effective = await this.rpc.request(
        permissionRequests.effective,
        { actorId: principal.userId },
        {
          token,
          // The token decides; these only keep the headers consistent with it whatever the context.
          headers: { [headerNames.tenantId]: principal.tenantId, [headerNames.actorId]: principal.userId },
          ...(this.options.requestTimeoutMs === undefined
            ? {}
            : { timeoutMs: this.options.requestTimeoutMs }),
        },
      );
    } catch (error) {
      this.live.fetchFailures += 1;
      this.prom?.fetches.inc({ outcome: 'failed' });
      this.logger.warn(
        { err: error, actorId: principal.userId, tenantId: principal.tenantId },
        'Fetching compiled permissions failed',
      );
      throw error;
    }
    this.prom?.fetches.inc({ outcome: 'ok' });
    if (effective.actorId !== principal.userId || effective.tenantId !== principal.tenantId) {
      // The token is not the principal's: never use or keep an answer about someone else.
      throw new ParleyError('unauthenticated', 'The access token does not belong to the actor', {
        reason: 'token_mismatch',
      });
    }
    const permissions = new CompiledPermissions(effective.rules);
    const expiresAt = Math.min(Date.parse(effective.validUntil), requestedAt + this.options.ttlMs);
    if (!ticket.stale && !this.stopped && expiresAt > this.now()) {
      this.entries.set(key, { tenantId: principal.tenantId, permissions, expiresAt });
      while (this.entries.size > this.options.maxEntries) {
        this.entries.delete(this.entries.keys().next().value as string);
        this.live.evictions += 1;
      }
    }
    return permissions;
  }

  private listen(type: string, handle: (tenantId: string, message: Msg) => void): void {
    const subject = this.namespace.subject(eventFilter('permission', type));
    const subscription = this.nats.subscribe(subject, {
      callback: (error, message) => {
        if (error) {
          // The subscription is gone (e.g. a permissions violation): nothing can be trusted.
          this.logger.error({ err: error, subject }, 'Permission event subscription failed');
          this.clear();
          return;
        }
        const parsed = this.namespace.contains(message.subject)
          ? parseEventSubject(this.namespace.strip(message.subject))
          : undefined;
        if (parsed === undefined) {
          this.logger.warn({ subject: message.subject }, 'Ignored a message that is not a permission event');
          return;
        }
        handle(parsed.tenantId, message);
      },
    });
    this.subscriptions.push(subscription);
  }

  /** Events published while the connection was down are lost to core subscriptions: start over. */
  private watchConnection(): void {
    const statuses = this.nats.status();
    this.statuses = statuses;
    void (async () => {
      try {
        for await (const status of statuses) {
          if (status.type === 'reconnect') {
            this.logger.info('NATS reconnected; dropping every cached permission');
            this.clear();
          } else if (status.type === 'slowConsumer' && this.subscriptions.includes(status.sub)) {
            this.logger.warn('Permission events overflowed; dropping every cached permission');
            this.clear();
          }
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'Stopped watching the NATS connection');
      }
    })();
  }

  private counted(scope: 'actor' | 'tenant' | 'all'): void {
    this.live.invalidations += 1;
    this.prom?.invalidations.inc({ scope });
  }
}

function keyOf(tenantId: string, actorId: string): string {
  return `${tenantId}/${actorId}`;
}

function decode(message: Msg): unknown {
  try {
    return message.json<unknown>();
  } catch {
    return undefined;
  }
}

function promCounters(metrics: Metrics): PromCounters {
  return {
    lookups: metrics.counter({
      name: 'parley_permission_cache_lookups_total',
      help: 'Lookups of compiled permissions, by outcome (hit, miss)',
      labelNames: ['outcome'],
    }),
    invalidations: metrics.counter({
      name: 'parley_permission_cache_invalidations_total',
      help: 'Invalidations of cached compiled permissions, by scope (actor, tenant, all)',
      labelNames: ['scope'],
    }),
    fetches: metrics.counter({
      name: 'parley_permission_cache_fetches_total',
      help: 'Requests for compiled permissions sent to the permission service, by outcome (ok, failed)',
      labelNames: ['outcome'],
    }),
  };
}
