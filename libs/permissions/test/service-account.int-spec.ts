import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { identityRequests, type TokenPair } from '@parley/contracts';
import { Namespace, NatsRpcClient } from '@parley/nats';
import { uniqueNamespace } from '@parley/testing';
import { ServiceAccountSession } from '../src/index.js';
import { testConnection } from './permissions.harness.js';

/**
 * Stands in for identity's login and refresh (identity's own tests prove those): counts the calls,
 * hands out numbered tokens with the lifetimes the test sets, and refuses what the test says.
 */
class IdentityStandIn {
  logins = 0;
  refreshes = 0;
  refuseRefresh = false;
  accessTtlMs = 300_000;
  refreshTtlMs = 3_600_000;
  private issued = 0;
  private readonly subscriptions: Subscription[];

  constructor(
    nats: NatsConnection,
    namespace: Namespace,
    private readonly clock: { now: number },
  ) {
    this.subscriptions = [
      nats.subscribe(namespace.subject(identityRequests.login.subject), {
        callback: (_error, message) => {
          const request = identityRequests.login.request.parse(message.json());
          this.logins += 1;
          if (request.password !== 'correct-password') {
            this.refuse(message, 'unauthenticated');
          } else {
            this.answer(message);
          }
        },
      }),
      nats.subscribe(namespace.subject(identityRequests.refresh.subject), {
        callback: (_error, message) => {
          this.refreshes += 1;
          if (this.refuseRefresh) {
            this.refuse(message, 'unauthenticated');
          } else {
            this.answer(message);
          }
        },
      }),
    ];
  }

  close(): void {
    this.subscriptions.forEach((subscription) => subscription.unsubscribe());
  }

  private answer(message: Msg): void {
    this.issued += 1;
    const now = this.clock.now;
    const userId = randomUUID();
    const pair: TokenPair = {
      tokenType: 'Bearer',
      accessToken: `access-${this.issued}`,
      accessTokenExpiresAt: new Date(now + this.accessTtlMs).toISOString(),
      refreshToken: `refresh-${this.issued}`,
      refreshTokenExpiresAt: new Date(now + this.refreshTtlMs).toISOString(),
      sessionId: randomUUID(),
      user: {
        id: userId,
        tenantId: randomUUID(),
        kind: 'service',
        email: 'conversation@parley.test',
        fullName: 'Conversation service',
        designation: null,
        status: 'active',
        createdAt: new Date(now).toISOString(),
        updatedAt: new Date(now).toISOString(),
      },
    };
    message.respond(JSON.stringify({ ok: true, data: pair }));
  }

  private refuse(message: Msg, code: string): void {
    message.respond(JSON.stringify({ ok: false, error: { code, message: 'Refused' } }));
  }
}

describe('ServiceAccountSession', () => {
  let nats: NatsConnection;
  let namespace: Namespace;
  let identity: IdentityStandIn;
  const clock = { now: Date.parse('2026-11-21T10:00:00Z') };
  const credentials = { tenant: 'platform', email: 'conversation@parley.test', password: 'correct-password' };

  beforeEach(async () => {
    nats = await testConnection('service-account-test');
    namespace = new Namespace(uniqueNamespace());
    identity = new IdentityStandIn(nats, namespace, clock);
    await nats.flush();
  });
  afterEach(async () => {
    identity.close();
    await nats.drain();
  });

  function session(password = credentials.password) {
    return new ServiceAccountSession(
      new NatsRpcClient(nats, namespace),
      { ...credentials, password },
      { now: () => clock.now, renewBeforeMs: 30_000 },
    );
  }

  it('logs in once for concurrent callers and reuses the token while it is fresh', async () => {
    const account = session();
    const tokens = await Promise.all([account.accessToken(), account.accessToken(), account.accessToken()]);
    expect(tokens).toEqual(['access-1', 'access-1', 'access-1']);
    clock.now += 200_000;
    await expect(account.accessToken()).resolves.toBe('access-1');
    expect([identity.logins, identity.refreshes]).toEqual([1, 0]);
  });

  it('refreshes shortly before the access token expires', async () => {
    const account = session();
    await account.accessToken();
    clock.now += 300_000 - 29_000;
    await expect(account.accessToken()).resolves.toBe('access-2');
    expect([identity.logins, identity.refreshes]).toEqual([1, 1]);
  });

  it('logs in again when the session was revoked, or when the refresh token is about to expire', async () => {
    const account = session();
    await account.accessToken();
    identity.refuseRefresh = true;
    clock.now += 300_000;
    await expect(account.accessToken()).resolves.toBe('access-2');
    expect([identity.logins, identity.refreshes]).toEqual([2, 1]);
    clock.now += 3_600_000;
    await expect(account.accessToken()).resolves.toBe('access-3');
    expect([identity.logins, identity.refreshes]).toEqual([3, 1]);
  });

  it('logs in again after reset, and passes a refused login on, unchanged', async () => {
    const account = session();
    await account.accessToken();
    account.reset();
    await expect(account.accessToken()).resolves.toBe('access-2');
    await expect(session('wrong-password').accessToken()).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('passes on an error of a refresh that is not a refusal', async () => {
    const account = new ServiceAccountSession(new NatsRpcClient(nats, namespace), credentials, {
      now: () => clock.now,
      timeoutMs: 200,
    });
    await account.accessToken();
    identity.close();
    clock.now += 300_000;
    await expect(account.accessToken()).rejects.toMatchObject({ code: 'unavailable' });
  });
});
