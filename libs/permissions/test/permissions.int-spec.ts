import { randomUUID } from 'node:crypto';
import { Controller, Get, Injectable, Param, Post, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import {
  defineCatalog,
  defineRequest,
  eventStreamName,
  permissionEvents,
  type Principal,
} from '@parley/contracts';
import { Actor, AuthModule } from '@parley/auth';
import {
  createNatsMicroservice,
  EventPublisher,
  Namespace,
  NatsModule,
  NatsRpcClient,
  provisionServiceEventStream,
  RequestHandler,
} from '@parley/nats';
import { eventually, natsUrl, parleyErrorOf, uniqueNamespace } from '@parley/testing';
import {
  AbilityCache,
  auditRequirements,
  AuthenticatedOnly,
  PermissionChecker,
  PermissionsModule,
  Public,
  RequirePermissions,
  resourceField,
  resourceFrom,
} from '../src/index.js';
import {
  audience,
  createSigner,
  EffectiveResponder,
  issuer,
  logLines,
  newPrincipal,
  securityEvents,
  startGuardedApp,
  testConnection,
  type GuardedApp,
  type Signer,
} from './permissions.harness.js';

const catalog = defineCatalog({
  service: 'notification',
  domains: [{ domain: 'notification', description: 'Notifications' }],
  permissions: [
    { permission: 'notification:probe:run', description: 'Run', resourceTypes: ['conversation'] },
    { permission: 'notification:probe:audit', description: 'Audit', resourceTypes: [] },
    { permission: 'notification:probe:own', description: 'Own', resourceTypes: ['file'] },
  ],
});
const run = 'notification:probe:run';
const audit = 'notification:probe:audit';
const own = 'notification:probe:own';

const probe = <R extends z.ZodType>(verb: string, request: R, authentication: 'actor' | 'none' = 'actor') =>
  defineRequest({
    service: 'notification',
    entity: 'probe',
    verb,
    summary: 'A guarded probe',
    authentication,
    request,
    response: z.object({ ran: z.literal(true) }),
  });
const probes = {
  scoped: probe('run', z.object({ conversationId: z.uuid() })),
  audit: probe('audit', z.object({})),
  either: probe('either', z.object({})),
  undeclared: probe('undeclared', z.object({})),
  open: probe('open', z.object({}), 'none'),
  signedIn: probe('signed-in', z.object({})),
  owned: probe('owned', z.object({ fileId: z.uuid(), ownerId: z.uuid() })),
};
const ran = { ran: true as const };

/** Counts bootstrap hooks: a connected microservice must not run them a second time. */
@Injectable()
class BootCounter {
  static calls = 0;
  onApplicationBootstrap(): void {
    BootCounter.calls += 1;
  }
}

@Injectable()
class Files {
  constructor(private readonly permissions: PermissionChecker) {}

  /** Stands for a service that learns the owner only after loading the file. */
  async remove(actor: Principal, fileId: string, ownerId: string): Promise<void> {
    await this.permissions.require(actor, own, {
      type: 'file',
      id: fileId,
      ownerId,
      tenantId: actor.tenantId,
    });
  }
}

@Controller()
class ProbeHandlers {
  constructor(private readonly files: Files) {}

  @RequestHandler(probes.scoped)
  @RequirePermissions(run, {
    resource: resourceFrom(probes.scoped, (request) => ({
      type: 'conversation',
      id: request.conversationId,
    })),
  })
  scoped() {
    return ran;
  }

  @RequestHandler(probes.audit)
  @RequirePermissions(audit)
  audit() {
    return ran;
  }

  @RequestHandler(probes.either)
  @RequirePermissions({ anyOf: [audit, run] })
  either() {
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

  @RequestHandler(probes.owned)
  @AuthenticatedOnly()
  async owned(@Actor() actor: Principal, @Payload() request: { fileId: string; ownerId: string }) {
    await this.files.remove(actor, request.fileId, request.ownerId);
    return ran;
  }
}

@Controller('probes')
class ProbeController {
  @Get(':conversationId')
  @RequirePermissions(run, { resource: resourceField('conversation', 'conversationId') })
  read(@Param('conversationId') _conversationId: string) {
    return ran;
  }

  @Get()
  @Public()
  list() {
    return ran;
  }

  @Post()
  create() {
    return ran;
  }
}

describe('@parley/permissions in a service, against NATS', () => {
  const namespace = new Namespace(uniqueNamespace());
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const c1 = randomUUID();
  const c2 = randomUUID();
  let signer: Signer;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let responder: EffectiveResponder;
  let guarded: GuardedApp;
  let client: NatsRpcClient;
  let publisher: EventPublisher;
  let cache: AbilityCache;

  beforeAll(async () => {
    signer = await createSigner();
    nats = await testConnection('permissions-int');
    jsm = await jetstreamManager(nats);
    await provisionServiceEventStream(jsm, namespace, 'permission');
    responder = new EffectiveResponder(nats, namespace, signer);
    await responder.start();
    guarded = await startGuardedApp(namespace, signer, [ProbeHandlers, ProbeController], { catalog }, [
      Files,
      BootCounter,
    ]);
    client = new NatsRpcClient(nats, namespace);
    publisher = new EventPublisher(nats, namespace);
    cache = guarded.app.get(AbilityCache);
  });

  afterAll(async () => {
    await guarded?.close();
    responder?.stop();
    await jsm?.streams.delete(namespace.stream(eventStreamName('permission'))).catch(() => undefined);
    await nats?.drain();
  });

  const as = async (principal: Principal) => ({ token: await signer.token(principal) });

  it('allows what an assignment allows, on the named resource only', async () => {
    const member = newPrincipal(tenantA);
    responder.set(member, [{ action: run, subject: 'conversation', conditions: { id: c1 } }]);
    const token = await as(member);
    await expect(client.request(probes.scoped, { conversationId: c1 }, token)).resolves.toEqual(ran);
    await expect(
      parleyErrorOf(client.request(probes.scoped, { conversationId: c2 }, token)),
    ).resolves.toMatchObject({
      code: 'forbidden',
      details: { missing: [run], resource: { type: 'conversation', id: c2 } },
    });
    // A resource-scoped assignment is not tenant-wide: anyOf finds neither.
    await expect(parleyErrorOf(client.request(probes.either, {}, token))).resolves.toMatchObject({
      code: 'forbidden',
      details: { missing: [audit, run], match: 'any' },
    });
    // The payload is validated before the resource is read.
    await expect(
      parleyErrorOf(client.request(probes.scoped, { conversationId: 'nope' }, token)),
    ).resolves.toMatchObject({ code: 'validation_failed' });
  });

  it('logs every denial as a security event and answers with a typed forbidden', async () => {
    const member = newPrincipal(tenantA);
    const before = securityEvents().length;
    const error = await parleyErrorOf(client.request(probes.audit, {}, await as(member)));
    expect(error).toMatchObject({
      code: 'forbidden',
      message: `Missing permission: ${audit}`,
      details: { reason: 'no_assignment', missing: [audit], match: 'all' },
    });
    expect(securityEvents().slice(before)).toEqual([
      expect.objectContaining({
        type: 'permission',
        outcome: 'denied',
        reason: 'no_assignment',
        actorId: member.userId,
        tenantId: tenantA,
        requirement: [audit],
        missing: [audit],
        transport: 'rpc',
        handler: 'ProbeHandlers.audit',
      }),
    ]);
  });

  it('refuses undeclared handlers, opens public ones, and needs only a token for authenticated ones', async () => {
    const member = newPrincipal(tenantA);
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
    await expect(parleyErrorOf(client.request(probes.audit, {}))).resolves.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('runs bootstrap hooks once although a microservice is connected', () => {
    expect(BootCounter.calls).toBe(1);
  });

  it('reports undeclared handlers at start-up', () => {
    expect(
      auditRequirements(guarded.app)
        .undeclared.map((handler) => handler.handler)
        .sort(),
    ).toEqual(['ProbeController.create', 'ProbeHandlers.undeclared']);
    expect(logLines).toContainEqual(
      expect.objectContaining({ msg: 'Handler requirements checked', undeclared: 2, handlers: 10 }),
    );
  });

  it('serves repeated checks from the cache: one request to the permission service', async () => {
    const member = newPrincipal(tenantA);
    responder.set(member, [{ action: audit, subject: 'all' }]);
    const token = await as(member);
    const hits = cache.counters.hits;
    await Promise.all(Array.from({ length: 10 }, () => client.request(probes.audit, {}, token)));
    for (let i = 0; i < 20; i += 1) {
      await expect(client.request(probes.either, {}, token)).resolves.toEqual(ran);
    }
    expect(responder.callsFor(member)).toBe(1);
    expect(cache.counters.hits - hits).toBeGreaterThanOrEqual(20);
  });

  it('drops an actor’s entry when assignment.changed arrives, within milliseconds', async () => {
    const member = newPrincipal(tenantA);
    const token = await as(member);
    await expect(parleyErrorOf(client.request(probes.audit, {}, token))).resolves.toMatchObject({
      code: 'forbidden',
    });
    responder.set(member, [{ action: audit, subject: 'all' }]);
    // Still cached (TTL 30 s): the change is not seen without the event.
    await expect(parleyErrorOf(client.request(probes.audit, {}, token))).resolves.toMatchObject({
      code: 'forbidden',
    });
    const invalidations = cache.counters.invalidations;
    const published = Date.now();
    await publisher.publishEvent(
      permissionEvents.assignmentChanged,
      tenantA,
      { actorId: member.userId, assignmentId: randomUUID(), change: 'created' },
      randomUUID(),
    );
    const answer = await eventually(
      () =>
        client.request(probes.audit, {}, token).then(
          () => 'allowed',
          () => 'refused',
        ),
      (value) => value === 'allowed',
      5000,
    );
    expect(answer).toBe('allowed');
    // Far inside the documented 30 s bound: the event, not the TTL, did it.
    expect(Date.now() - published).toBeLessThan(2000);
    expect(cache.counters.invalidations).toBeGreaterThan(invalidations);
    expect(responder.callsFor(member)).toBe(2);
  });

  it('drops the whole tenant on permission-set.changed, and only that tenant', async () => {
    const first = newPrincipal(tenantA);
    const second = newPrincipal(tenantA);
    const elsewhere = newPrincipal(tenantB);
    for (const principal of [first, second, elsewhere]) {
      responder.set(principal, [{ action: audit, subject: 'all' }]);
      await client.request(probes.audit, {}, await as(principal));
    }
    await publisher.publishEvent(
      permissionEvents.permissionSetChanged,
      tenantA,
      { permissionSetId: randomUUID(), change: 'updated' },
      randomUUID(),
    );
    await eventually(
      async () => {
        await client.request(probes.audit, {}, await as(first));
        return responder.callsFor(first);
      },
      (calls) => calls === 2,
    );
    await client.request(probes.audit, {}, await as(second));
    await client.request(probes.audit, {}, await as(elsewhere));
    expect([responder.callsFor(first), responder.callsFor(second), responder.callsFor(elsewhere)]).toEqual([
      2, 2, 1,
    ]);
  });

  it('keeps tenants apart: the same user in another tenant never uses the first tenant’s entry', async () => {
    const inA = newPrincipal(tenantA);
    const inB = newPrincipal(tenantB, inA.userId);
    responder.set(inA, [{ action: audit, subject: 'all' }]);
    await expect(client.request(probes.audit, {}, await as(inA))).resolves.toEqual(ran);
    await expect(parleyErrorOf(client.request(probes.audit, {}, await as(inB)))).resolves.toMatchObject({
      code: 'forbidden',
    });
    expect([responder.callsFor(inA), responder.callsFor(inB)]).toEqual([1, 1]);
  });

  it('hands the actor’s token to checks made inside the service once the resource is loaded', async () => {
    const member = newPrincipal(tenantA);
    responder.set(member, [{ action: own, subject: 'all', conditions: { ownerId: member.userId } }]);
    const token = await as(member);
    await expect(
      client.request(probes.owned, { fileId: randomUUID(), ownerId: member.userId }, token),
    ).resolves.toEqual(ran);
    await expect(
      parleyErrorOf(client.request(probes.owned, { fileId: randomUUID(), ownerId: randomUUID() }, token)),
    ).resolves.toMatchObject({ code: 'forbidden', details: { missing: [own] } });
    expect(responder.callsFor(member)).toBe(1);
  });

  describe('over HTTP', () => {
    const get = async (path: string, principal?: Principal, init: RequestInit = {}) =>
      fetch(`${guarded.baseUrl}${path}`, {
        ...init,
        headers: principal === undefined ? {} : { authorization: `Bearer ${(await as(principal)).token}` },
      });

    it('checks the resource named in the path', async () => {
      const member = newPrincipal(tenantA);
      responder.set(member, [{ action: run, subject: 'conversation', conditions: { id: c1 } }]);
      const allowed = await get(`/probes/${c1}`, member);
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toEqual(ran);
      const refused = await get(`/probes/${c2}`, member);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        error: { code: 'forbidden', details: { missing: [run] } },
      });
      expect(securityEvents().at(-1)).toMatchObject({ transport: 'http', handler: 'ProbeController.read' });
      expect((await get(`/probes/not-a-uuid`, member)).status).toBe(400);
    });

    it('answers 401 without a token, 403 for an undeclared route, 200 for a public one', async () => {
      expect((await get(`/probes/${c1}`)).status).toBe(401);
      const undeclared = await get('/probes', newPrincipal(tenantA), { method: 'POST' });
      expect(undeclared.status).toBe(403);
      expect(await undeclared.json()).toMatchObject({ error: { details: { reason: 'no_requirement' } } });
      expect((await get('/probes')).status).toBe(200);
    });
  });
});

describe('a NATS-only service (NestFactory.createMicroservice)', () => {
  const namespace = new Namespace(uniqueNamespace());
  let nats: NatsConnection;
  let service: INestMicroservice;

  @Controller()
  class OnlyNats {
    @RequestHandler(probes.undeclared)
    undeclared() {
      return ran;
    }

    @RequestHandler(probes.open)
    @Public()
    open() {
      return ran;
    }
  }

  beforeAll(async () => {
    const signer = await createSigner();
    nats = await testConnection('permissions-int-nats-only');
    service = await NestFactory.createMicroservice(
      {
        module: class NatsOnlyModule {},
        imports: [
          NatsModule.forRoot({ url: natsUrl(), namespace: namespace.prefix, name: 'nats-only' }),
          AuthModule.forRoot({ issuer, audience, jwks: async () => ({ keys: [signer.publicJwk] }) }),
          PermissionsModule.forRoot({ service: 'notification' }),
        ],
        controllers: [OnlyNats],
      },
      { ...createNatsMicroservice({ url: natsUrl(), namespace, queue: 'nats-only' }), logger: false },
    );
    await service.listen();
  });
  afterAll(async () => {
    await service?.close();
    await nats?.drain();
  });

  it('gets the guard from APP_GUARD alone', async () => {
    const client = new NatsRpcClient(nats, namespace);
    await expect(client.request(probes.open, {})).resolves.toEqual(ran);
    await expect(parleyErrorOf(client.request(probes.undeclared, {}))).resolves.toMatchObject({
      code: 'forbidden',
      details: { reason: 'no_requirement' },
    });
  });
});
