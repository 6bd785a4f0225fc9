import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  eventStreamName,
  headerNames,
  identityEvents,
  ParleyError,
  replyEnvelopeSchema,
  permissionRequests as api,
  type Principal,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
  type Tenant,
  type User,
  type UserKind,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, EventPublisher, Namespace, NatsRpcClient } from '@parley/nats';
import {
  createTestDatabase,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  withClient,
  type TestDatabase,
  eventually,
} from '@parley/testing';
import { permissionConfig, type PermissionConfig } from '../src/permission.config.js';
import { startPermission } from '../src/permission.app.js';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import { createTestSigner, newPrincipal, serveJwks, type TestSigner } from './tokens.js';

export const permissionLogin = 'permission_service';

/** A fresh database with the permission schema migrated; `drop()` removes it. */
export async function migratedPermissionDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  try {
    await runMigrations({
      adminUrl: database.url,
      schema: 'permission',
      login: { name: permissionLogin },
      directory: serviceSqlDirectory('permission'),
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/** The service's clock: real time, shifted or frozen by the test. */
export class TestClock {
  private frozen: Date | undefined;
  private offsetMs = 0;

  readonly now = (): Date => (this.frozen ? new Date(this.frozen) : new Date(Date.now() + this.offsetMs));

  set(at: Date | string): void {
    this.frozen = new Date(at);
  }

  advance(ms: number): void {
    if (this.frozen) {
      this.frozen = new Date(this.frozen.getTime() + ms);
    } else {
      this.offsetMs += ms;
    }
  }

  reset(): void {
    this.frozen = undefined;
    this.offsetMs = 0;
  }
}

export interface PermissionUnderTest {
  app: INestApplication;
  config: PermissionConfig;
  baseUrl: string;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  clock: TestClock;
  signer: TestSigner;
  /** Publishes into the namespaced identity stream, as identity's outbox relay would. */
  identity: EventPublisher;
  /** Calls the service as the principal (a fresh token each time). */
  call<C extends RequestContract>(contract: C, payload: RequestOf<C>, as?: Principal): Promise<ResponseOf<C>>;
  /**
   * Like `call`, but the payload goes out unchecked (the typed client refuses bad input before
   * sending it), so that the service's own refusal is what the test sees.
   */
  send<C extends RequestContract>(contract: C, payload: unknown, as?: Principal): Promise<ResponseOf<C>>;
  stop(): Promise<void>;
}

/**
 * The permission service on a fresh database, in a NATS namespace of its own, listening on a free
 * port, with a NATS client in the same namespace and a stand-in for identity's key set.
 */
export interface StartOptions {
  /** Runs on the migrated database (as admin) before the service starts. */
  beforeStart?: (databaseUrl: string) => Promise<void>;
  /** Leaves the service on its own system clock; `clock` then moves nothing. */
  systemClock?: boolean;
  /** Runs in this NATS namespace (beside the services of another test) instead of a fresh one. */
  namespace?: string;
  /**
   * Whether the stand-in key set answers identity.v1.jwks.get (true when omitted). False when the
   * real identity runs in the namespace: tokens are then verified with identity's own key set,
   * over NATS or from PERMISSION_JWKS_URL, and `call`/`send` with `as` cannot be used.
   */
  serveJwks?: boolean;
}

export async function startPermissionUnderTest(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<PermissionUnderTest> {
  const database = await migratedPermissionDatabase();
  const namespace = options.namespace ?? uniqueNamespace();
  const ns = new Namespace(namespace);
  const clock = new TestClock();
  let app: INestApplication | undefined;
  let nats: NatsConnection | undefined;
  let jwks: Subscription | undefined;
  try {
    nats = await connectNats({ url: natsUrl(), name: 'permission-test-client' });
    const signer = await createTestSigner();
    jwks = options.serveJwks === false ? undefined : serveJwks(nats, ns, signer);
    const config = loadConfig(permissionConfig, {
      DATABASE_URL: urlForLogin(database.url, permissionLogin),
      NATS_URL: natsUrl(),
      NATS_NAMESPACE: namespace,
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    });
    await options.beforeStart?.(database.url);
    const started = await startPermission(config, options.systemClock ? {} : { clock: clock.now });
    app = started;
    const baseUrl = (await started.getUrl()).replace('[::1]', '127.0.0.1');
    const rpc = new NatsRpcClient(nats, ns);
    const connection = nats;
    const subscription = jwks;
    return {
      app: started,
      config,
      baseUrl,
      rpc,
      nats: connection,
      namespace: ns,
      database,
      clock,
      signer,
      identity: new EventPublisher(connection, ns),
      async call(contract, payload, as) {
        const token = as === undefined ? undefined : await signer.token(as);
        return rpc.request(contract, payload, token === undefined ? {} : { token });
      },
      async send(contract, payload, as) {
        const headers = natsHeaders();
        if (as !== undefined) {
          headers.set(headerNames.authorization, `Bearer ${await signer.token(as)}`);
        }
        const reply = await connection.request(ns.subject(contract.subject), JSON.stringify(payload), {
          timeout: 5000,
          headers,
        });
        const envelope = replyEnvelopeSchema.parse(reply.json());
        if (!envelope.ok) {
          throw ParleyError.fromEnvelope(envelope.error);
        }
        return contract.response.parse(envelope.data) as ResponseOf<typeof contract>;
      },
      async stop() {
        subscription?.unsubscribe();
        await started.close();
        await connection.drain();
        await database.drop();
      },
    };
  } catch (error) {
    jwks?.unsubscribe();
    await app?.close();
    await nats?.drain();
    await database.drop();
    throw error;
  }
}

// --- identity stand-in ---------------------------------------------------------------------------

/** Publishes a genuine tenant.created payload; returns the tenant. */
export async function publishTenantCreated(
  service: PermissionUnderTest,
  slug: string,
  parentTenantId: string | null = null,
): Promise<Tenant> {
  const tenant: Tenant = {
    id: randomUUID(),
    parentTenantId,
    slug,
    name: slug,
    status: 'active',
    allowsSelfRegistration: false,
    createdAt: new Date().toISOString(),
  };
  await service.identity.publishEvent(identityEvents.tenantCreated, tenant.id, { tenant }, randomUUID());
  return tenant;
}

/** Publishes a genuine user.created payload; returns the user as a principal. */
export async function publishUserCreated(
  service: PermissionUnderTest,
  tenantId: string,
  kind: UserKind,
  msgId: string = randomUUID(),
  userId: string = randomUUID(),
): Promise<Principal> {
  const now = new Date().toISOString();
  const user: User = {
    id: userId,
    tenantId,
    kind,
    email: `${userId.slice(0, 8)}@example.test`,
    fullName: 'Test User',
    designation: null,
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
  await service.identity.publishEvent(identityEvents.userCreated, tenantId, { user }, msgId);
  return { userId, tenantId, sessionId: randomUUID(), kind };
}

/** Waits until a consumer of identity's events has handled the message. */
export async function handled(service: PermissionUnderTest, consumer: string, msgId: string): Promise<void> {
  const found = await eventually(
    () =>
      withClient(
        service.database.url,
        async (client) =>
          (
            await client.query(
              'SELECT 1 FROM permission.processed_messages WHERE consumer = $1 AND message_id = $2',
              [consumer, msgId],
            )
          ).rowCount,
      ),
    (count) => count === 1,
    10_000,
  );
  if (found !== 1) {
    throw new Error(`${consumer} did not handle ${msgId} in time`);
  }
}

export { eventually };

export interface World {
  platformTenant: Tenant;
  operator: Principal;
  /** A tenant with its first administrator, made by the operator. */
  tenant: Tenant;
  admin: Principal;
}

/**
 * The platform tenant and its operator (through identity's events), and one tenant with its first
 * administrator (through the bootstrap request), as a fresh deployment would have them.
 */
export async function bootstrapWorld(service: PermissionUnderTest, slug = 'school'): Promise<World> {
  const platformTenant = await publishTenantCreated(service, service.config.PERMISSION_PLATFORM_TENANT);
  const operator = await publishUserCreated(service, platformTenant.id, 'service');
  const held = await eventually(
    () =>
      service.call(api.check, { actorId: operator.userId, permission: 'identity:tenant:create' }, operator),
    (answer) => answer.allowed,
  );
  if (!held.allowed) {
    throw new Error('The platform operator was not made from identity events in time');
  }
  const tenant = await publishTenantCreated(service, slug);
  const admin = newPrincipal(tenant.id);
  await service.call(
    api.bootstrapTenantAdministrator,
    { tenantId: tenant.id, userId: admin.userId },
    operator,
  );
  return { platformTenant, operator, tenant, admin };
}

export const tenantAdministratorSetId = systemPermissionSets.tenantAdministrator.id;

// --- events --------------------------------------------------------------------------------------

export interface PublishedEvent {
  subject: string;
  payload: Record<string, unknown>;
  msgId: string | undefined;
}

/** Every event of a service's stream in the namespace, in stream order. */
export async function streamEvents(
  service: PermissionUnderTest,
  of: 'permission' | 'identity' = 'permission',
): Promise<PublishedEvent[]> {
  const jsm = await jetstreamManager(service.nats);
  const stream = service.namespace.stream(eventStreamName(of));
  const info = await jsm.streams.info(stream);
  const events: PublishedEvent[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message === null) {
      continue;
    }
    events.push({
      subject: service.namespace.strip(message.subject),
      payload: message.json<Record<string, unknown>>(),
      msgId: message.header.get('Nats-Msg-Id'),
    });
  }
  return events;
}

/** Waits until the permission stream holds an event matching `match`, and returns it. */
export async function publishedEvent(
  service: PermissionUnderTest,
  match: (event: PublishedEvent) => boolean,
): Promise<PublishedEvent | undefined> {
  const events = await eventually(
    () => streamEvents(service),
    (all) => all.some(match),
  );
  return events.find(match);
}

// --- errors --------------------------------------------------------------------------------------

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
