import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { defineCatalog, defineRequest, permissionRequests as api, type Principal } from '@parley/contracts';
import { AuthModule } from '@parley/auth';
import { prepareHttpApp } from '@parley/http';
import { createNatsMicroservice, NatsModule, NatsRpcClient, RequestHandler } from '@parley/nats';
import {
  AbilityCache,
  AuthenticatedOnly,
  CatalogRegistration,
  connectGuardedMicroservice,
  PermissionsModule,
  Public,
  RequirePermissions,
} from '@parley/permissions';
import { natsUrl, parleyErrorOf } from '@parley/testing';
import {
  bootstrapWorld,
  eventually,
  startPermissionUnderTest,
  type PermissionUnderTest,
  type World,
} from './permission.harness.js';
import { newPrincipal, testAudience, testIssuer } from './tokens.js';

// Another service, as every Parley service uses @parley/permissions: its own process state, its
// own NATS connection, the permission service reached only over NATS.
const probeCatalog = defineCatalog({
  service: 'notification',
  domains: [{ domain: 'notification', description: 'Notifications' }],
  permissions: [
    { permission: 'notification:probe:run', description: 'Run the probe', resourceTypes: ['conversation'] },
    { permission: 'notification:probe:audit', description: 'Audit the probe', resourceTypes: [] },
  ],
});

const probe = (verb: string) =>
  defineRequest({
    service: 'notification',
    entity: 'probe',
    verb,
    summary: 'A guarded probe',
    authentication: 'none',
    request: z.object({ conversationId: z.uuid().optional() }),
    response: z.object({ ran: z.literal(true) }),
  });
const probes = {
  scoped: probe('run'),
  any: probe('run-any'),
  undeclared: probe('run-undeclared'),
  open: probe('run-open'),
  signedIn: probe('run-signed-in'),
};
const ran = { ran: true as const };

@Controller()
class ProbeHandler {
  @RequestHandler(probes.scoped)
  @RequirePermissions('notification:probe:run', {
    resource: (input) =>
      typeof input['conversationId'] === 'string'
        ? { type: 'conversation', id: input['conversationId'] }
        : undefined,
  })
  scoped(@Payload() _request: unknown) {
    return ran;
  }

  @RequestHandler(probes.any)
  @RequirePermissions({ anyOf: ['notification:probe:audit', 'notification:probe:run'] })
  any() {
    return ran;
  }

  @RequestHandler(probes.undeclared)
  undeclared() {
    return ran;
  }

  @RequestHandler(probes.open)
  @Public()
  open() {
    return ran;
  }

  @RequestHandler(probes.signedIn)
  @AuthenticatedOnly()
  signedIn() {
    return ran;
  }

  @Get('probe/:conversationId')
  @RequirePermissions('notification:probe:run', {
    resource: (input) => ({ type: 'conversation', id: String(input['conversationId']) }),
  })
  http() {
    return ran;
  }
}

describe('@parley/permissions against the permission service', () => {
  let service: PermissionUnderTest;
  let world: World;
  let guarded: INestApplication;
  let client: NatsRpcClient;
  let baseUrl: string;
  const conversation = '0193a5e0-0000-7000-8000-00000000c0a1';
  const otherConversation = '0193a5e0-0000-7000-8000-00000000c0a2';

  beforeAll(async () => {
    service = await startPermissionUnderTest({}, { systemClock: true });
    world = await bootstrapWorld(service);
    @Module({
      imports: [
        NatsModule.forRoot({ url: natsUrl(), namespace: service.config.NATS_NAMESPACE, name: 'guarded' }),
        AuthModule.forRoot({
          issuer: testIssuer,
          audience: testAudience,
          jwks: () => Promise.resolve(service.signer.jwks),
        }),
        PermissionsModule.forRoot({ catalog: probeCatalog }),
      ],
      controllers: [ProbeHandler],
    })
    class GuardedModule {}
    guarded = await NestFactory.create(GuardedModule, { logger: false, abortOnError: false });
    prepareHttpApp(guarded);
    connectGuardedMicroservice(
      guarded,
      createNatsMicroservice({ url: natsUrl(), namespace: service.config.NATS_NAMESPACE, queue: 'guarded' }),
    );
    await guarded.startAllMicroservices();
    await guarded.listen(0, '127.0.0.1');
    baseUrl = await guarded.getUrl();
    await guarded.get(CatalogRegistration).registered;
    client = guarded.get(NatsRpcClient);
  });

  afterAll(async () => {
    await guarded.close();
    await service.stop();
  });

  const as = async (principal: Principal) => ({ token: await service.signer.token(principal) });

  it('refuses before any assignment, allows on the assigned resource once the change event arrives, and only there', async () => {
    const member = newPrincipal(world.tenant.id);
    const refusal = await parleyErrorOf(
      client.request(probes.scoped, { conversationId: conversation }, await as(member)),
    );
    expect(refusal).toMatchObject({ code: 'forbidden', details: { missing: ['notification:probe:run'] } });

    const assigned = Date.now();
    const assignment = await service.call(
      api.createAssignment,
      {
        actorId: member.userId,
        permission: 'notification:probe:run',
        resource: { type: 'conversation', id: conversation },
      },
      world.admin,
    );
    await expect(
      parleyErrorOf(client.request(probes.scoped, { conversationId: conversation })),
    ).resolves.toMatchObject({ code: 'unauthenticated' });
    const after = await eventually(
      async () =>
        client.request(probes.scoped, { conversationId: conversation }, await as(member)).then(
          () => 'allowed',
          () => 'refused',
        ),
      (answer) => answer === 'allowed',
      5000,
    );
    expect(after).toBe('allowed');
    // The documented bound is the 30 s TTL; with the event it takes milliseconds.
    expect(Date.now() - assigned).toBeLessThan(5000);
    await expect(
      parleyErrorOf(client.request(probes.scoped, { conversationId: otherConversation }, await as(member))),
    ).resolves.toMatchObject({
      code: 'forbidden',
    });
    // anyOf: one of the two is enough — but a resource-scoped assignment is not tenant-wide.
    await expect(parleyErrorOf(client.request(probes.any, {}, await as(member)))).resolves.toMatchObject({
      code: 'forbidden',
    });

    const response = await fetch(`${baseUrl}/probe/${conversation}`, {
      headers: { authorization: `Bearer ${(await as(member)).token}` },
    });
    expect(response.status).toBe(200);
    const elsewhere = await fetch(`${baseUrl}/probe/${otherConversation}`, {
      headers: { authorization: `Bearer ${(await as(member)).token}` },
    });
    expect(elsewhere.status).toBe(403);

    await service.call(api.revokeAssignment, { assignmentId: assignment.id }, world.admin);
    const revoked = await eventually(
      async () =>
        client.request(probes.scoped, { conversationId: conversation }, await as(member)).then(
          () => 'allowed',
          () => 'refused',
        ),
      (answer) => answer === 'refused',
      5000,
    );
    expect(revoked).toBe('refused');
  });

  it('serves repeated checks from the cache', async () => {
    const member = newPrincipal(world.tenant.id);
    await service.call(
      api.createAssignment,
      { actorId: member.userId, permission: 'notification:probe:audit' },
      world.admin,
    );
    const cache = guarded.get(AbilityCache);
    const token = await as(member);
    await eventually(
      () =>
        client.request(probes.any, {}, token).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
    );
    const misses = cache.counters.misses;
    for (let i = 0; i < 20; i += 1) {
      await expect(client.request(probes.any, {}, token)).resolves.toEqual(ran);
    }
    expect(cache.counters.misses).toBe(misses);
  });

  it('keeps tenants apart: the same user id in another tenant holds nothing', async () => {
    const member = newPrincipal(world.tenant.id);
    await service.call(
      api.createAssignment,
      { actorId: member.userId, permission: 'notification:probe:audit' },
      world.admin,
    );
    await eventually(
      async () =>
        client.request(probes.any, {}, await as(member)).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
    );
    const twin = { ...member, tenantId: world.platformTenant.id };
    await expect(parleyErrorOf(client.request(probes.any, {}, await as(twin)))).resolves.toMatchObject({
      code: 'forbidden',
    });
  });

  it('refuses undeclared handlers, opens public ones, and needs only a token for authenticated ones', async () => {
    const member = newPrincipal(world.tenant.id);
    await expect(
      parleyErrorOf(client.request(probes.undeclared, {}, await as(member))),
    ).resolves.toMatchObject({
      code: 'forbidden',
      details: { reason: 'no_requirement' },
    });
    await expect(client.request(probes.open, {})).resolves.toEqual(ran);
    await expect(client.request(probes.signedIn, {}, await as(member))).resolves.toEqual(ran);
    await expect(parleyErrorOf(client.request(probes.signedIn, {}))).resolves.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(parleyErrorOf(client.request(probes.scoped, {}, await as(member)))).resolves.toMatchObject({
      code: 'validation_failed',
    });
  });
});

describe('AbilityCache bounds', () => {
  let service: PermissionUnderTest;
  let world: World;

  beforeAll(async () => {
    service = await startPermissionUnderTest({}, { systemClock: true });
    world = await bootstrapWorld(service);
  });
  afterAll(() => service.stop());

  it('evicts the least recently used actor, expires entries after the TTL, and drops tenants on change events', async () => {
    const cache = new AbilityCache(service.rpc, service.nats, service.namespace, {
      ttlMs: 100,
      maxEntries: 1,
    });
    cache.onApplicationBootstrap();
    try {
      const first = newPrincipal(world.tenant.id);
      const second = newPrincipal(world.tenant.id);
      await cache.permissionsOf(first, await service.signer.token(first));
      await cache.permissionsOf(second, await service.signer.token(second));
      expect(cache.size).toBe(1);
      await cache.permissionsOf(second, await service.signer.token(second));
      expect(cache.counters).toMatchObject({ hits: 1, misses: 2 });
      await new Promise((resolve) => setTimeout(resolve, 150));
      await cache.permissionsOf(second, await service.signer.token(second));
      expect(cache.counters.misses).toBe(3);

      // Any change event for the tenant, even one that cannot be read, drops its entries.
      service.nats.publish(
        service.namespace.subject(`permission.v1.events.${world.tenant.id}.permission-set.changed`),
        '{}',
      );
      const dropped = await eventually(
        () => Promise.resolve(cache.size),
        (size) => size === 0,
      );
      expect(dropped).toBe(0);
      await cache.permissionsOf(second, await service.signer.token(second));
      service.nats.publish(
        service.namespace.subject(`permission.v1.events.${world.tenant.id}.assignment.changed`),
        'not json',
      );
      expect(
        await eventually(
          () => Promise.resolve(cache.size),
          (size) => size === 0,
        ),
      ).toBe(0);
      await cache.permissionsOf(second, await service.signer.token(second));
      service.nats.publish(
        service.namespace.subject(`permission.v1.events.${world.tenant.id}.assignment.changed`),
        JSON.stringify({ assignmentId: second.userId }),
      );
      expect(
        await eventually(
          () => Promise.resolve(cache.size),
          (size) => size === 0,
        ),
      ).toBe(0);
    } finally {
      cache.onApplicationShutdown();
    }
  });
});

describe('requirement declarations', () => {
  it('refuse malformed permissions when the class is defined', () => {
    expect(() => RequirePermissions('notification:probe')).toThrow(/not a permission/);
    expect(() => RequirePermissions()).toThrow(/at least one permission/);
    expect(() => RequirePermissions({ anyOf: ['Bad:one:x'] })).toThrow(/not a permission/);
  });
});
