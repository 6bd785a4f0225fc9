import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
  ParleyError,
  permissionRequests,
  type CaslRule,
  type ErrorEnvelope,
  type Principal,
  type RequestOf,
} from '@parley/contracts';
import { AuthModule } from '@parley/auth';
import { prepareHttpApp } from '@parley/http';
import { configureLogging } from '@parley/logging';
import { connectNats, createNatsMicroservice, Namespace, NatsModule } from '@parley/nats';
import { natsUrl } from '@parley/testing';
import {
  connectGuardedMicroservice,
  PermissionsModule,
  type PermissionsModuleOptions,
} from '../src/index.js';

export const issuer = 'parley-identity';
export const audience = 'parley';

/** Every log line of the process, parsed; security events are asserted on. */
export const logLines: Array<Record<string, unknown>> = [];
configureLogging({
  service: 'permissions-int',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
});

export const securityEvents = () => logLines.filter((line) => line['securityEvent'] === true);

/** A key pair standing in for identity's; the application verifies with its public JWK. */
export interface Signer {
  readonly publicJwk: JWK;
  token(principal: Principal): Promise<string>;
  claims(token: string): Promise<{ userId: string; tenantId: string }>;
}

export async function createSigner(): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${randomUUID()}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const key: CryptoKey = publicKey;
  return {
    publicJwk,
    token: (principal) =>
      new SignJWT({ tenant_id: principal.tenantId, sid: principal.sessionId, user_kind: principal.kind })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(principal.userId)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('1h')
        .setJti(randomUUID())
        .sign(privateKey),
    claims: async (token) => {
      const { payload } = await jwtVerify(token, key, { issuer, audience });
      return { userId: String(payload.sub), tenantId: String(payload['tenant_id']) };
    },
  };
}

export function newPrincipal(tenantId: string, userId: string = randomUUID()): Principal {
  return { userId, tenantId, sessionId: randomUUID(), kind: 'person' };
}

const reply = (message: Msg, body: { ok: true; data: unknown } | { ok: false; error: ErrorEnvelope }) =>
  message.respond(JSON.stringify(body));

/**
 * Answers `permission.v1.permission.get-effective` in the namespace, standing for the permission
 * service (whose own tests prove its answers): it reads the actor and tenant from the verified
 * token, as the service does, and answers with the rules the test set, through the real schemas.
 */
export class EffectiveResponder {
  /** Rules per `${tenantId}/${actorId}`. */
  readonly rules = new Map<string, CaslRule[]>();
  /** Requests answered, per `${tenantId}/${actorId}`. */
  readonly calls = new Map<string, number>();
  /** Added to now for `validUntil`. */
  validForMs = 5 * 60_000;
  private subscription: Subscription | undefined;

  constructor(
    private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    private readonly signer: Signer,
  ) {}

  start(): Promise<void> {
    this.subscription = this.nats.subscribe(this.namespace.subject(permissionRequests.effective.subject), {
      callback: (_error, message) => void this.answer(message),
    });
    return this.nats.flush();
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  set(principal: Principal, rules: CaslRule[]): void {
    this.rules.set(`${principal.tenantId}/${principal.userId}`, rules);
  }

  callsFor(principal: Principal): number {
    return this.calls.get(`${principal.tenantId}/${principal.userId}`) ?? 0;
  }

  get totalCalls(): number {
    return [...this.calls.values()].reduce((sum, count) => sum + count, 0);
  }

  private async answer(message: Msg): Promise<void> {
    const token = /^Bearer (.+)$/.exec(message.headers?.get('Authorization') ?? '')?.[1];
    let caller: { userId: string; tenantId: string };
    try {
      caller = await this.signer.claims(token ?? '');
    } catch {
      reply(message, { ok: false, error: new ParleyError('unauthenticated', 'Bad token').toEnvelope() });
      return;
    }
    const request = permissionRequests.effective.request.parse(message.json());
    if (request.actorId !== caller.userId) {
      reply(message, { ok: false, error: new ParleyError('forbidden', 'Another actor').toEnvelope() });
      return;
    }
    const key = `${caller.tenantId}/${request.actorId}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const now = Date.now();
    const data = permissionRequests.effective.response.parse({
      actorId: request.actorId,
      tenantId: caller.tenantId,
      rules: this.rules.get(key) ?? [],
      validUntil: new Date(now + this.validForMs).toISOString(),
      computedAt: new Date(now).toISOString(),
    });
    reply(message, { ok: true, data });
  }
}

/** Answers `permission.v1.catalog.register` and records what it received (checked by the contract). */
export function serveCatalog(
  nats: NatsConnection,
  namespace: Namespace,
  received: Array<RequestOf<typeof permissionRequests.registerCatalog>>,
): Subscription {
  return nats.subscribe(namespace.subject(permissionRequests.registerCatalog.subject), {
    callback: (_error, message) => {
      const request = permissionRequests.registerCatalog.request.parse(message.json());
      received.push(request);
      reply(message, {
        ok: true,
        data: permissionRequests.registerCatalog.response.parse({
          added: request.permissions.map((entry) => entry.permission),
          unchanged: 0,
        }),
      });
    },
  });
}

export interface GuardedApp {
  readonly app: INestApplication;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** A service as every Parley service is built: NatsModule, AuthModule, PermissionsModule, hybrid app. */
export async function startGuardedApp(
  namespace: Namespace,
  signer: Signer,
  controllers: Type[],
  options: PermissionsModuleOptions,
  providers: Type[] = [],
): Promise<GuardedApp> {
  const module = {
    module: class GuardedAppModule {},
    imports: [
      NatsModule.forRoot({ url: natsUrl(), namespace: namespace.prefix, name: 'guarded' }),
      AuthModule.forRoot({ issuer, audience, jwks: async () => ({ keys: [signer.publicJwk] }) }),
      PermissionsModule.forRoot(options),
    ],
    controllers,
    providers,
  };
  const app = await NestFactory.create(module, { logger: false, abortOnError: false });
  prepareHttpApp(app);
  connectGuardedMicroservice(app, createNatsMicroservice({ url: natsUrl(), namespace, queue: 'guarded' }));
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, baseUrl, close: () => app.close() };
}

export async function testConnection(name: string): Promise<NatsConnection> {
  return connectNats({ url: natsUrl(), name });
}
