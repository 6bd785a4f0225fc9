import { jest } from '@jest/globals';
import type { NatsConnection, Status, Subscription } from '@nats-io/transport-node';
import {
  eventSubject,
  headerNames,
  ParleyError,
  permissionEvents,
  permissionRequests,
  type CaslRule,
  type EffectivePermissions,
  type Principal,
} from '@parley/contracts';
import { Namespace, type NatsRpcClient } from '@parley/nats';
import { configureLogging } from '@parley/logging';
import { Metrics } from '@parley/observability';
import { Registry } from 'prom-client';
import { AbilityCache, type AbilityCacheOptions } from './ability.cache.js';

const tenantA = '0193a5e0-0000-7000-8000-0000000000b1';
const tenantB = '0193a5e0-0000-7000-8000-0000000000b2';
const principal = (userId: string, tenantId = tenantA): Principal => ({
  userId,
  tenantId,
  sessionId: '0193a5e0-0000-7000-8000-0000000000c1',
  kind: 'person',
});
const alice = principal('0193a5e0-0000-7000-8000-0000000000a1');
const bob = principal('0193a5e0-0000-7000-8000-0000000000a2');
const carol = principal('0193a5e0-0000-7000-8000-0000000000a3');
const aliceInB = principal(alice.userId, tenantB);
const send = 'conversation:message:send';
const namespace = new Namespace('t-unit');

/** A status stream the test pushes into, like the NATS client's. */
class Statuses implements AsyncIterable<Status> {
  private readonly queue: Array<Status | Error> = [];
  private wake: (() => void) | undefined;
  stopped = false;

  push(status: Status | Error): void {
    this.queue.push(status);
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Status> {
    while (!this.stopped) {
      const next = this.queue.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if (next instanceof Error) {
        throw next;
      }
      yield next;
    }
  }
}

interface FakeSubscription {
  subject: string;
  callback: (error: Error | null, message: { subject: string; json<T>(): T }) => void;
  unsubscribe: jest.Mock;
}

class FakeNats {
  readonly subscriptions: FakeSubscription[] = [];
  statuses = new Statuses();

  subscribe(subject: string, options: { callback: FakeSubscription['callback'] }): FakeSubscription {
    const subscription = { subject, callback: options.callback, unsubscribe: jest.fn() };
    this.subscriptions.push(subscription);
    return subscription;
  }

  status(): Statuses {
    return this.statuses;
  }

  /** Delivers to every subscription whose filter matches (`*` = one token). */
  deliver(subject: string, body: string): void {
    for (const subscription of this.subscriptions) {
      const filter = subscription.subject.split('.');
      const tokens = subject.split('.');
      if (
        filter.length === tokens.length &&
        filter.every((token, i) => token === '*' || token === tokens[i])
      ) {
        subscription.callback(null, { subject, json: <T>() => JSON.parse(body) as T });
      }
    }
  }

  event(contract: { type: string }, tenantId: string, payload: unknown): void {
    this.deliver(
      namespace.subject(eventSubject('permission', tenantId, contract.type)),
      JSON.stringify(payload),
    );
  }
}

function effective(who: Principal, rules: CaslRule[], validUntil: number): EffectivePermissions {
  return {
    actorId: who.userId,
    tenantId: who.tenantId,
    rules,
    validUntil: new Date(validUntil).toISOString(),
    computedAt: new Date(0).toISOString(),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

// Failures are logged on purpose below; the assertions are on behaviour.
configureLogging({ service: 'permissions-unit', level: 'silent' });

describe('AbilityCache', () => {
  let clock: number;
  let nats: FakeNats;
  let request: jest.Mock<
    (contract: unknown, payload: { actorId: string }, options: { token: string }) => Promise<unknown>
  >;
  let answers: Map<string, CaslRule[]>;
  let tokenTenants: Map<string, string>;

  function cache(options: Partial<AbilityCacheOptions> = {}, metrics?: Metrics): AbilityCache {
    const created = new AbilityCache(
      { request } as unknown as NatsRpcClient,
      nats as unknown as NatsConnection,
      namespace,
      { ttlMs: 30_000, maxEntries: 100, now: () => clock, ...options },
      metrics,
    );
    created.onApplicationBootstrap();
    return created;
  }

  beforeEach(() => {
    clock = 1_000_000;
    nats = new FakeNats();
    answers = new Map();
    tokenTenants = new Map();
    // Stands for the permission service: answers for the token's tenant, as it does.
    request = jest.fn(async (_contract, payload, options) => {
      const tenantId = tokenTenants.get(options.token) ?? tenantA;
      const who = principal(payload.actorId, tenantId);
      return effective(who, answers.get(`${tenantId}/${payload.actorId}`) ?? [], clock + 5 * 60_000);
    });
  });

  it('fetches on a miss with the actor’s token, then answers from memory', async () => {
    answers.set(`${tenantA}/${alice.userId}`, [{ action: send, subject: 'all' }]);
    const subject = cache({ requestTimeoutMs: 1234 });
    const first = await subject.permissionsOf(alice, 'alice-token');
    const second = await subject.permissionsOf(alice, 'alice-token');
    expect(second).toBe(first);
    expect(first.allows(alice, send)).toBe(true);
    expect(request).toHaveBeenCalledTimes(1);
    expect(request).toHaveBeenCalledWith(
      permissionRequests.effective,
      { actorId: alice.userId },
      {
        token: 'alice-token',
        timeoutMs: 1234,
        headers: { [headerNames.tenantId]: tenantA, [headerNames.actorId]: alice.userId },
      },
    );
    expect(subject.counters).toMatchObject({ hits: 1, misses: 1, fetches: 1 });
    expect(subject.size).toBe(1);
  });

  it('shares one request between concurrent misses of one actor', async () => {
    const subject = cache();
    const all = await Promise.all(
      Array.from({ length: 5 }, () => subject.permissionsOf(alice, 'alice-token')),
    );
    expect(request).toHaveBeenCalledTimes(1);
    expect(new Set(all).size).toBe(1);
    expect(subject.counters).toMatchObject({ misses: 5, fetches: 1 });
  });

  it('keeps tenants apart: the same user in another tenant is another entry', async () => {
    tokenTenants.set('alice-b', tenantB);
    answers.set(`${tenantA}/${alice.userId}`, [{ action: send, subject: 'all' }]);
    const subject = cache();
    expect((await subject.permissionsOf(alice, 'alice-a')).allows(alice, send)).toBe(true);
    expect((await subject.permissionsOf(aliceInB, 'alice-b')).allows(aliceInB, send)).toBe(false);
    expect(request).toHaveBeenCalledTimes(2);
    expect(subject.size).toBe(2);
  });

  it('refuses an answer about another actor or tenant and keeps nothing', async () => {
    tokenTenants.set('someone-elses', tenantB);
    const subject = cache();
    const error = await subject.permissionsOf(alice, 'someone-elses').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'unauthenticated', details: { reason: 'token_mismatch' } });
    expect(subject.size).toBe(0);
  });

  it('needs a token on a miss only', async () => {
    const subject = cache();
    await expect(subject.permissionsOf(alice, undefined)).rejects.toMatchObject({
      code: 'unauthenticated',
      details: { reason: 'missing' },
    });
    await expect(subject.permissionsOf(alice, '')).rejects.toMatchObject({ code: 'unauthenticated' });
    await subject.permissionsOf(alice, 'alice-token');
    await expect(subject.permissionsOf(alice, undefined)).resolves.toBeDefined();
    expect(request).toHaveBeenCalledTimes(1);
  });

  it('expires entries after the TTL', async () => {
    const subject = cache({ ttlMs: 1000 });
    await subject.permissionsOf(alice, 'alice-token');
    clock += 999;
    await subject.permissionsOf(alice, 'alice-token');
    expect(request).toHaveBeenCalledTimes(1);
    clock += 1;
    await subject.permissionsOf(alice, 'alice-token');
    expect(request).toHaveBeenCalledTimes(2);
  });

  it('expires entries at validUntil when that comes first, and keeps nothing already out of date', async () => {
    const subject = cache({ ttlMs: 30_000 });
    request.mockImplementationOnce(async () => effective(alice, [], clock + 500));
    await subject.permissionsOf(alice, 'alice-token');
    clock += 500;
    await subject.permissionsOf(alice, 'alice-token');
    expect(request).toHaveBeenCalledTimes(2);

    request.mockImplementationOnce(async () => effective(bob, [], clock - 1));
    await subject.permissionsOf(bob, 'bob-token');
    expect(subject.size).toBe(1);
  });

  it('measures the TTL from when the request was sent', async () => {
    const subject = cache({ ttlMs: 1000 });
    request.mockImplementationOnce(async (_contract, payload) => {
      clock += 400; // a slow answer
      return effective(principal(payload.actorId), [], clock + 60_000);
    });
    await subject.permissionsOf(alice, 'alice-token');
    clock += 599;
    await subject.permissionsOf(alice, 'alice-token');
    clock += 1;
    await subject.permissionsOf(alice, 'alice-token');
    expect(request).toHaveBeenCalledTimes(2);
  });

  it('evicts the least recently used actor beyond maxEntries', async () => {
    const subject = cache({ maxEntries: 2 });
    await subject.permissionsOf(alice, 'a');
    await subject.permissionsOf(bob, 'b');
    await subject.permissionsOf(alice, 'a'); // alice is now the most recent
    await subject.permissionsOf(carol, 'c'); // bob goes
    expect(subject.size).toBe(2);
    expect(subject.counters.evictions).toBe(1);
    await subject.permissionsOf(alice, 'a');
    expect(request).toHaveBeenCalledTimes(3);
    await subject.permissionsOf(bob, 'b');
    expect(request).toHaveBeenCalledTimes(4);
  });

  it('passes a failed fetch on, counts it and keeps nothing', async () => {
    const subject = cache();
    request.mockRejectedValueOnce(new ParleyError('unavailable', 'No service answers'));
    await expect(subject.permissionsOf(alice, 'a')).rejects.toMatchObject({ code: 'unavailable' });
    expect(subject.counters).toMatchObject({ fetchFailures: 1, fetches: 1 });
    await subject.permissionsOf(alice, 'a');
    expect(request).toHaveBeenCalledTimes(2);
  });

  it('invalidates one actor, a tenant, or everything', async () => {
    const subject = cache();
    const fill = async () => {
      await subject.permissionsOf(alice, 'a');
      await subject.permissionsOf(bob, 'b');
      await subject.permissionsOf(aliceInB, 'ab');
    };
    tokenTenants.set('ab', tenantB);
    await fill();
    subject.invalidate(tenantA, alice.userId);
    expect(subject.size).toBe(2);
    subject.invalidate(tenantA);
    expect(subject.size).toBe(1);
    await fill();
    subject.clear();
    expect(subject.size).toBe(0);
    expect(subject.counters.invalidations).toBe(3);
  });

  it('answers a fetch that an invalidation met, but does not keep it', async () => {
    const subject = cache();
    let release: () => void = () => undefined;
    request.mockImplementationOnce(async (_contract, payload) => {
      await new Promise<void>((resolve) => (release = resolve));
      return effective(principal(payload.actorId), [{ action: send, subject: 'all' }], clock + 60_000);
    });
    const pending = subject.permissionsOf(alice, 'a');
    await flush();
    subject.invalidateActor(tenantA, alice.userId);
    // A lookup after the invalidation does not join the old request.
    const fresh = subject.permissionsOf(alice, 'a');
    release();
    expect((await pending).allows(alice, send)).toBe(true);
    expect((await fresh).allows(alice, send)).toBe(false);
    expect(request).toHaveBeenCalledTimes(2);
    expect(subject.size).toBe(1);
    expect((await subject.permissionsOf(alice, 'a')).allows(alice, send)).toBe(false);
  });

  it('marks fetches under way stale on tenant invalidation (that tenant only) and on clear', async () => {
    tokenTenants.set('ab', tenantB);
    const subject = cache();
    const releases: Array<() => void> = [];
    const answer = request.getMockImplementation();
    request.mockImplementation(async (contract, payload, options) => {
      await new Promise<void>((resolve) => releases.push(resolve));
      return answer?.(contract, payload, options);
    });
    const inA = subject.permissionsOf(alice, 'a');
    const inB = subject.permissionsOf(aliceInB, 'ab');
    await flush();
    subject.invalidateTenant(tenantA);
    releases.splice(0).forEach((release) => release());
    await Promise.all([inA, inB]);
    expect(subject.size).toBe(1);
    await subject.permissionsOf(aliceInB, 'ab');
    expect(subject.counters.hits).toBe(1);

    const later = subject.permissionsOf(bob, 'b');
    await flush();
    subject.clear();
    releases.splice(0).forEach((release) => release());
    await later;
    expect(subject.size).toBe(0);
  });

  describe('change events', () => {
    it('drops the actor on assignment.changed', async () => {
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      await subject.permissionsOf(bob, 'b');
      nats.event(permissionEvents.assignmentChanged, tenantA, {
        actorId: alice.userId,
        assignmentId: carol.userId,
        change: 'created',
      });
      expect(subject.size).toBe(1);
      await subject.permissionsOf(bob, 'b');
      expect(request).toHaveBeenCalledTimes(2);
    });

    it('only in the event’s tenant', async () => {
      tokenTenants.set('ab', tenantB);
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      await subject.permissionsOf(aliceInB, 'ab');
      nats.event(permissionEvents.assignmentChanged, tenantB, {
        actorId: alice.userId,
        assignmentId: carol.userId,
        change: 'revoked',
      });
      expect(subject.size).toBe(1);
      await subject.permissionsOf(alice, 'a');
      expect(request).toHaveBeenCalledTimes(2);
    });

    it('drops the whole tenant on permission-set.changed', async () => {
      tokenTenants.set('ab', tenantB);
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      await subject.permissionsOf(bob, 'b');
      await subject.permissionsOf(aliceInB, 'ab');
      nats.event(permissionEvents.permissionSetChanged, tenantA, {
        permissionSetId: carol.userId,
        change: 'updated',
      });
      expect(subject.size).toBe(1);
    });

    it('drops the whole tenant when an assignment.changed cannot be read', async () => {
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      await subject.permissionsOf(bob, 'b');
      nats.deliver(namespace.subject(eventSubject('permission', tenantA, 'assignment.changed')), 'not json');
      expect(subject.size).toBe(0);
      await subject.permissionsOf(alice, 'a');
      nats.event(permissionEvents.assignmentChanged, tenantA, { actorId: 'not-a-uuid' });
      expect(subject.size).toBe(0);
    });

    it('subscribes in its namespace, once, and drops everything when a subscription fails', async () => {
      const subject = cache();
      subject.onApplicationBootstrap();
      expect(nats.subscriptions.map((subscription) => subscription.subject)).toEqual(
        ['permission.v1.events.*.assignment.changed', 'permission.v1.events.*.permission-set.changed'].map(
          (filter) => namespace.subject(filter),
        ),
      );
      await subject.permissionsOf(alice, 'a');
      nats.subscriptions[0]?.callback(new Error('permissions violation'), {
        subject: '',
        json: () => ({}) as never,
      });
      expect(subject.size).toBe(0);
    });

    it('ignores a message that is not an event subject', async () => {
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      nats.subscriptions[1]?.callback(null, { subject: 'elsewhere.entirely', json: () => ({}) as never });
      nats.subscriptions[1]?.callback(null, { subject: namespace.subject('x.y'), json: () => ({}) as never });
      expect(subject.size).toBe(1);
    });
  });

  describe('the connection', () => {
    it('drops everything on reconnect and on an overflow of its own subscriptions', async () => {
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      nats.statuses.push({ type: 'disconnect', server: 'x' });
      nats.statuses.push({ type: 'slowConsumer', sub: {} as Subscription, pending: 1 });
      await flush();
      expect(subject.size).toBe(1);
      nats.statuses.push({ type: 'reconnect', server: 'x' });
      await flush();
      expect(subject.size).toBe(0);
      await subject.permissionsOf(alice, 'a');
      nats.statuses.push({
        type: 'slowConsumer',
        sub: nats.subscriptions[0] as unknown as Subscription,
        pending: 70_000,
      });
      await flush();
      expect(subject.size).toBe(0);
    });

    it('survives the status stream failing', async () => {
      const subject = cache();
      nats.statuses.push(new Error('closed'));
      await flush();
      await subject.permissionsOf(alice, 'a');
      expect(subject.size).toBe(1);
    });

    it('stops listening and forgets everything on shutdown, and keeps nothing fetched after', async () => {
      const subject = cache();
      await subject.permissionsOf(alice, 'a');
      let release: () => void = () => undefined;
      request.mockImplementationOnce(async (_contract, payload) => {
        await new Promise<void>((resolve) => (release = resolve));
        return effective(principal(payload.actorId), [], clock + 60_000);
      });
      const pending = subject.permissionsOf(bob, 'b');
      await flush();
      subject.onApplicationShutdown();
      release();
      await pending;
      expect(subject.size).toBe(0);
      expect(nats.statuses.stopped).toBe(true);
      for (const subscription of nats.subscriptions) {
        expect(subscription.unsubscribe).toHaveBeenCalled();
      }
    });
  });

  it('exports its counters to Prometheus when Metrics is there', async () => {
    const registry = new Registry();
    const subject = cache({}, new Metrics(registry));
    await subject.permissionsOf(alice, 'a');
    await subject.permissionsOf(alice, 'a');
    request.mockRejectedValueOnce(new ParleyError('unavailable', 'down'));
    await subject.permissionsOf(bob, 'b').catch(() => undefined);
    subject.invalidate(tenantA, alice.userId);
    const text = await registry.metrics();
    expect(text).toContain('parley_permission_cache_lookups_total{outcome="hit"} 1');
    expect(text).toContain('parley_permission_cache_lookups_total{outcome="miss"} 2');
    expect(text).toContain('parley_permission_cache_fetches_total{outcome="ok"} 1');
    expect(text).toContain('parley_permission_cache_fetches_total{outcome="failed"} 1');
    expect(text).toContain('parley_permission_cache_invalidations_total{scope="actor"} 1');
  });
});
