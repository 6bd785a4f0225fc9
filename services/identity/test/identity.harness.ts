import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import {
  errorEnvelopeSchema,
  eventStreamName,
  identityRequests,
  ParleyError,
  permissionRequests,
  tokenPairSchema,
  userSchema,
  type ErrorEnvelope,
  type Permission,
  type Principal,
  type Tenant,
  type TokenPair,
  type User,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, Namespace, NatsRpcClient } from '@parley/nats';
import {
  createTestDatabase,
  eventually,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  type TestDatabase,
} from '@parley/testing';
import {
  startPermissionUnderTest,
  type PermissionUnderTest,
} from '../../permission/test/permission.harness.js';
import { PasswordHasher } from '../src/crypto/password-hasher.js';
import { identityConfig, type IdentityConfig } from '../src/identity.config.js';
import { startIdentity } from '../src/identity.app.js';
import type { Clock } from '../src/identity.options.js';

export const operatorEmail = 'operator@parley.test';
export const operatorPassword = 'operator-password-1';

/** Argon2id with small parameters: same code path, test-friendly cost. */
export const cheapHasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export interface IdentityUnderTest {
  app: INestApplication;
  config: IdentityConfig;
  baseUrl: string;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  /** Moves the service's clock forward. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

/**
 * Identity alone on a fresh database, in a fresh NATS namespace, with its platform operator
 * account. Without the permission service, every operation that requires a permission answers
 * `unavailable`; `startIdentityWithPermissions` is what most tests want.
 */
export async function startIdentityUnderTest(env: Record<string, string> = {}): Promise<IdentityUnderTest> {
  const database = await createTestDatabase();
  await runMigrations({
    adminUrl: database.url,
    schema: 'identity',
    login: { name: 'identity_service' },
    directory: serviceSqlDirectory('identity'),
  });
  const namespace = uniqueNamespace();
  let offset = 0;
  const clock: Clock = () => new Date(Date.now() + offset);
  const config = loadConfig(identityConfig, {
    DATABASE_URL: urlForLogin(database.url, 'identity_service'),
    NATS_URL: natsUrl(),
    NATS_NAMESPACE: namespace,
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    IDENTITY_PLATFORM_OPERATOR_EMAIL: operatorEmail,
    IDENTITY_PLATFORM_OPERATOR_PASSWORD: operatorPassword,
    ...env,
  });
  const app = await startIdentity(config, { clock, passwordHasher: cheapHasher });
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const nats = await connectNats({ url: natsUrl(), name: 'identity-test-client' });
  const ns = new Namespace(namespace);
  return {
    app,
    config,
    baseUrl,
    rpc: new NatsRpcClient(nats, ns),
    nats,
    namespace: ns,
    database,
    advance(ms: number) {
      offset += ms;
    },
    async stop() {
      await nats.drain();
      await app.close();
      await database.drop();
    },
  };
}

export interface PublishedEvent {
  subject: string;
  payload: Record<string, unknown>;
  msgId: string | undefined;
}

/** Every identity event published so far, in stream order. */
export async function publishedEvents(identity: IdentityUnderTest): Promise<PublishedEvent[]> {
  const jsm = await jetstreamManager(identity.nats);
  const stream = identity.namespace.stream(eventStreamName('identity'));
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch {
    return [];
  }
  const events: PublishedEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message) {
      events.push({
        subject: identity.namespace.strip(message.subject),
        payload: message.json<Record<string, unknown>>(),
        msgId: message.header.get('Nats-Msg-Id'),
      });
    }
  }
  return events;
}

export { eventually };

export interface IdentityWithPermissions extends IdentityUnderTest {
  /** The real permission service, in the same NATS namespace, on a database of its own. */
  permission: PermissionUnderTest;
  /** The platform operator, logged in, once it holds what the system set platform-operator gives. */
  operator: TokenPair;
}

export interface WithPermissionsOptions {
  /**
   * How the permission service gets identity's key set: asked over NATS (identity.v1.jwks.get, the
   * default) or fetched over HTTP from identity's /.well-known/jwks.json (PERMISSION_JWKS_URL).
   */
  jwks?: 'nats' | 'http';
}

/**
 * Identity with the real permission service beside it, as deployed: identity creates its platform
 * operator account at start-up, the permission service reads identity's user.created and makes
 * that account the platform operator. Resolves once the operator holds identity:tenant:create.
 */
export async function startIdentityWithPermissions(
  env: Record<string, string> = {},
  options: WithPermissionsOptions = {},
): Promise<IdentityWithPermissions> {
  const identity = await startIdentityUnderTest(env);
  let permission: PermissionUnderTest | undefined;
  try {
    permission = await startPermissionUnderTest(
      options.jwks === 'http' ? { PERMISSION_JWKS_URL: `${identity.baseUrl}/.well-known/jwks.json` } : {},
      { namespace: identity.namespace.prefix, serveJwks: false, systemClock: true },
    );
    const operator = await identity.rpc.request(identityRequests.login, {
      tenant: identity.config.IDENTITY_PLATFORM_TENANT,
      email: operatorEmail,
      password: operatorPassword,
    });
    await untilHeld(identity, operator, 'identity:tenant:create');
    const started = permission;
    return {
      ...identity,
      permission: started,
      operator,
      async stop() {
        await started.stop();
        await identity.stop();
      },
    };
  } catch (error) {
    await permission?.stop();
    await identity.stop();
    throw error;
  }
}

/**
 * Waits until the permission service says the user of the token holds the permission (its own
 * check, from its database): assignments are made from events, a moment after what caused them.
 */
export async function untilHeld(
  identity: IdentityUnderTest,
  pair: TokenPair,
  permission: Permission,
): Promise<void> {
  const answer = await eventually(
    () =>
      identity.rpc.request(
        permissionRequests.check,
        { actorId: pair.user.id, permission },
        { token: pair.accessToken },
      ),
    (check) => check.allowed,
    10_000,
  );
  if (!answer.allowed) {
    throw new Error(`${pair.user.email} does not hold ${permission} (${answer.reason})`);
  }
}

export interface AdministeredTenant {
  tenant: Tenant;
  /** The tenant's first administrator (system set tenant-administrator), logged in. */
  admin: TokenPair;
}

export const adminPassword = 'administrator password';

/**
 * A tenant with its first administrator, made the way a platform team makes one: the operator
 * creates the tenant, its first person registers, and the operator calls
 * permission.v1.tenant-administrator.bootstrap for that person. The tenant allows
 * self-registration, which tests use to add people; a tenant that does not gets its first users
 * from the operator (identity.v1.user.create with tenantId, administration.int-spec.ts).
 */
export async function tenantWithAdministrator(
  identity: IdentityWithPermissions,
  slug: string,
): Promise<AdministeredTenant> {
  const token = identity.operator.accessToken;
  const tenant = await identity.rpc.request(
    identityRequests.createTenant,
    { slug, name: `Tenant ${slug}`, allowsSelfRegistration: true },
    { token },
  );
  const email = `admin@${slug}.test`;
  const person = await identity.rpc.request(identityRequests.registerUser, {
    tenant: slug,
    email,
    password: adminPassword,
    fullName: `Administrator of ${slug}`,
  });
  await identity.rpc.request(
    permissionRequests.bootstrapTenantAdministrator,
    { tenantId: tenant.id, userId: person.id },
    { token },
  );
  const admin = await identity.rpc.request(identityRequests.login, {
    tenant: slug,
    email,
    password: adminPassword,
  });
  await untilHeld(identity, admin, 'identity:user:create');
  return { tenant, admin };
}

/** The code and details of the error a call fails with; 'resolved' when it succeeds. */
export function failureOf(
  promise: Promise<unknown>,
): Promise<'resolved' | { code: string; details: Record<string, unknown> | undefined }> {
  return promise.then(
    () => 'resolved' as const,
    (error: unknown) => {
      if (error instanceof ParleyError) {
        return { code: error.code, details: error.details };
      }
      throw error;
    },
  );
}

/** What a refusal by the permission language looks like: `forbidden`, naming what is missing. */
export function missing(...permissions: Permission[]): { code: string; details: unknown } {
  return { code: 'forbidden', details: expect.objectContaining({ missing: permissions }) };
}

export function principalOf(pair: TokenPair): Principal {
  return {
    userId: pair.user.id,
    tenantId: pair.user.tenantId,
    sessionId: pair.sessionId,
    kind: pair.user.kind,
  };
}

export interface HttpReply {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function postJson(url: string, body: unknown, token?: string): Promise<HttpReply> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    headers: response.headers,
  };
}

const errorReply = z.object({ error: errorEnvelopeSchema });

/** The body as a token pair, failing the test when it is not one. */
export const asTokenPair = (reply: HttpReply): TokenPair => tokenPairSchema.parse(reply.body);
export const asUser = (reply: HttpReply): User => userSchema.parse(reply.body);
export const asError = (reply: HttpReply): ErrorEnvelope => errorReply.parse(reply.body).error;
