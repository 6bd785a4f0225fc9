import { randomUUID } from 'node:crypto';
import { Controller } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import {
  defineCatalog,
  defineRequest,
  type Principal,
  type RequestOf,
  type permissionRequests,
} from '@parley/contracts';
import { Namespace, NatsRpcClient, RequestHandler } from '@parley/nats';
import { eventually, parleyErrorOf, uniqueNamespace } from '@parley/testing';
import { AbilityCache, CatalogRegistration, RequirePermissions } from '../src/index.js';
import {
  createSigner,
  EffectiveResponder,
  logLines,
  newPrincipal,
  serveCatalog,
  startGuardedApp,
  testConnection,
  type GuardedApp,
  type Signer,
} from './permissions.harness.js';

const catalog = defineCatalog({
  service: 'file',
  domains: [{ domain: 'file', description: 'Files' }],
  permissions: [{ permission: 'file:probe:run', description: 'Run the probe', resourceTypes: [] }],
});
const permission = 'file:probe:run';
const probe = defineRequest({
  service: 'file',
  entity: 'probe',
  verb: 'run',
  summary: 'A guarded probe',
  authentication: 'actor',
  request: z.object({}),
  response: z.object({ ran: z.literal(true) }),
});

@Controller()
class Probe {
  @RequestHandler(probe)
  @RequirePermissions(permission)
  run() {
    return { ran: true as const };
  }
}

interface World {
  namespace: Namespace;
  signer: Signer;
  nats: NatsConnection;
  responder: EffectiveResponder;
  guarded: GuardedApp;
  client: NatsRpcClient;
}

async function world(options: { ttlMs?: number; withCatalog?: boolean } = {}): Promise<World> {
  const namespace = new Namespace(uniqueNamespace());
  const signer = await createSigner();
  const nats = await testConnection('permissions-bounds');
  const responder = new EffectiveResponder(nats, namespace, signer);
  await responder.start();
  const guarded = await startGuardedApp(namespace, signer, [Probe], {
    service: 'file',
    ...(options.withCatalog === true ? { catalog } : {}),
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    registration: { initialDelayMs: 50, maxDelayMs: 200, timeoutMs: 200 },
  });
  return { namespace, signer, nats, responder, guarded, client: new NatsRpcClient(nats, namespace) };
}

async function end(w: World | undefined): Promise<void> {
  await w?.guarded.close();
  w?.responder.stop();
  await w?.nats.drain();
}

const outcome = (w: World, principal: Principal) => async () =>
  w.client.request(probe, {}, { token: await w.signer.token(principal) }).then(
    () => 'allowed',
    () => 'refused',
  );

describe('cache bounds without events', () => {
  let w: World;
  beforeAll(async () => {
    w = await world({ ttlMs: 600 });
  });
  afterAll(() => end(w));

  it('sees a change after at most the TTL, even when no event comes', async () => {
    const member = newPrincipal(randomUUID());
    const check = outcome(w, member);
    expect(await check()).toBe('refused');
    const fetchedAt = Date.now();
    w.responder.set(member, [{ action: permission, subject: 'all' }]);
    expect(await check()).toBe('refused');
    expect(await eventually(check, (value) => value === 'allowed', 3000)).toBe('allowed');
    const seenAfter = Date.now() - fetchedAt;
    expect(seenAfter).toBeLessThan(600 + 500);
    expect(w.responder.callsFor(member)).toBe(2);
  });

  it('sees a change at validUntil when that comes before the TTL', async () => {
    w.responder.validForMs = 200;
    try {
      const member = newPrincipal(randomUUID());
      const check = outcome(w, member);
      expect(await check()).toBe('refused');
      const started = Date.now();
      w.responder.set(member, [{ action: permission, subject: 'all' }]);
      expect(await eventually(check, (value) => value === 'allowed', 3000)).toBe('allowed');
      expect(Date.now() - started).toBeLessThan(600);
    } finally {
      w.responder.validForMs = 5 * 60_000;
    }
  });

  it('serves from memory within the TTL and asks again after it', async () => {
    const cache = w.guarded.app.get(AbilityCache);
    const member = newPrincipal(randomUUID());
    w.responder.set(member, [{ action: permission, subject: 'all' }]);
    await check3(w, member);
    expect(w.responder.callsFor(member)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await check3(w, member);
    expect(w.responder.callsFor(member)).toBe(2);
    expect(cache.size).toBeGreaterThan(0);
  });
});

async function check3(w: World, principal: Principal): Promise<void> {
  const token = await w.signer.token(principal);
  for (let i = 0; i < 3; i += 1) {
    await w.client.request(probe, {}, { token });
  }
}

describe('catalog registration', () => {
  let w: World | undefined;
  let catalogResponder: Subscription | undefined;
  afterAll(async () => {
    catalogResponder?.unsubscribe();
    await end(w);
  });

  it('starts the service without the permission service, then retries until one answers', async () => {
    w = await world({ withCatalog: true });
    const registration = w.guarded.app.get(CatalogRegistration);
    // Start-up did not wait: the service already serves (and refuses without the permission service's rules).
    const member = newPrincipal(randomUUID());
    await expect(
      parleyErrorOf(w.client.request(probe, {}, { token: await w.signer.token(member) })),
    ).resolves.toMatchObject({ code: 'forbidden' });
    await eventually(
      async () => registration.attempts,
      (attempts) => attempts >= 3,
      5000,
    );
    expect(registration.isRegistered).toBe(false);
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'Permission catalog not registered yet; will retry', service: 'file' }),
    );

    const received: Array<RequestOf<typeof permissionRequests.registerCatalog>> = [];
    catalogResponder = serveCatalog(w.nats, w.namespace, received);
    await w.nats.flush();
    await registration.registered;
    expect(registration.isRegistered).toBe(true);
    expect(received).toEqual([
      {
        service: 'file',
        domains: [{ domain: 'file', description: 'Files' }],
        permissions: [{ permission, description: 'Run the probe', resourceTypes: [] }],
      },
    ]);
    const attempts = registration.attempts;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(registration.attempts).toBe(attempts);
  });
});
