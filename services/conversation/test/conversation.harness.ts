import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  eventStreamName,
  headerNames,
  identityRequests,
  ParleyError,
  permissionRequests,
  replyEnvelopeSchema,
  type Principal,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
  type Tenant,
  type TokenPair,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { connectNats, Namespace, NatsRpcClient } from '@parley/nats';
import { ensureServiceAccount } from '@parley/permissions';
import {
  migratedServiceDatabase,
  eventually,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  type TestDatabase,
} from '@parley/testing';
import {
  operatorEmail,
  operatorPassword,
  principalOf,
  startIdentityUnderTest,
  type IdentityUnderTest,
} from '../../identity/test/identity.harness.js';
import {
  startPermissionUnderTest,
  type PermissionUnderTest,
} from '../../permission/test/permission.harness.js';
import { conversationConfig, type ConversationConfig } from '../src/conversation.config.js';
import { startConversation } from '../src/conversation.app.js';
import type { ConversationOverrides } from '../src/conversation.module.js';

export const conversationLogin = 'conversation_service';

export { eventually };

/** A fresh database with the conversation schema migrated; `drop()` removes it. */
export function migratedConversationDatabase(): Promise<TestDatabase> {
  return migratedServiceDatabase('conversation');
}

/** Configuration of the conversation service in a test namespace, with its database and account. */
export function testConversationConfig(
  database: TestDatabase,
  namespace: string,
  env: Record<string, string> = {},
): ConversationConfig {
  return loadConfig(conversationConfig, {
    DATABASE_URL: urlForLogin(database.url, conversationLogin),
    NATS_URL: natsUrl(),
    NATS_NAMESPACE: namespace,
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    SERVICE_ACCOUNT_EMAIL: serviceAccountEmail,
    SERVICE_ACCOUNT_PASSWORD: serviceAccountPassword,
    ...env,
  });
}

export const serviceAccountEmail = 'conversation@parley.test';
export const serviceAccountPassword = 'conversation-service-password';
const userPassword = 'a-user-password-1';

/** A user of a tenant as the tests act for them: who they are and their access token. */
export interface Person {
  readonly principal: Principal;
  readonly token: string;
  readonly id: string;
}

export interface Platform {
  readonly namespace: Namespace;
  readonly nats: NatsConnection;
  readonly rpc: NatsRpcClient;
  readonly identity: IdentityUnderTest;
  readonly permission: PermissionUnderTest;
  readonly conversation: INestApplication;
  readonly database: TestDatabase;
  readonly operator: Person;
  /** A tenant that lets people register themselves. */
  tenant(slug: string): Promise<Tenant>;
  /** A person registered in the tenant and logged in, once they may start conversations. */
  person(tenant: Tenant, name?: string): Promise<Person>;
  /** Calls a request contract as the person. */
  call<C extends RequestContract>(as: Person, contract: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Like `call`, but the payload goes out unchecked, so that the service's own refusal is seen. */
  send<C extends RequestContract>(as: Person, contract: C, payload: unknown): Promise<ResponseOf<C>>;
  /** Every conversation event published in the namespace so far, in stream order. */
  events(): Promise<PublishedEvent[]>;
  stop(): Promise<void>;
}

export interface PublishedEvent {
  readonly type: string;
  readonly tenantId: string;
  readonly payload: Record<string, unknown>;
}

/**
 * Identity, permission and conversation in one NATS namespace, each on a database of its own, as
 * a deployment runs them: identity creates the platform tenant and its operator, the permission
 * service follows identity's events, the operator creates the conversation service's account in
 * the platform tenant and assigns it `platform-service`, and the conversation service logs in
 * with it to set standings.
 */
export async function startPlatform(
  env: Record<string, string> = {},
  overrides: ConversationOverrides = {},
): Promise<Platform> {
  const prefix = uniqueNamespace();
  const namespace = new Namespace(prefix);
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) {
      await stop();
    }
  };
  try {
    const identity = await startIdentityUnderTest({
      NATS_NAMESPACE: prefix,
      IDENTITY_ACCESS_TOKEN_TTL: '1h',
    });
    stoppers.push(() => identity.stop());
    const permission = await startPermissionUnderTest({ NATS_NAMESPACE: prefix }, { systemClock: true });
    stoppers.push(() => permission.stop());
    const nats = await connectNats({ url: natsUrl(), name: 'conversation-test-client' });
    stoppers.push(() => nats.drain());
    const rpc = new NatsRpcClient(nats, namespace);

    // As a deployment does it (a one-shot job before the service starts): the operator makes the
    // service account and assigns it platform-service, waiting until the platform recognises them.
    await ensureServiceAccount({
      rpc,
      operator: { email: operatorEmail, password: operatorPassword },
      account: {
        tenant: 'platform',
        email: serviceAccountEmail,
        password: serviceAccountPassword,
        fullName: 'Conversation',
      },
    });
    const operator = await login(rpc, 'platform', operatorEmail, operatorPassword);

    const database = await migratedConversationDatabase();
    stoppers.push(() => database.drop());
    const conversation = await startConversation(testConversationConfig(database, prefix, env), overrides);
    stoppers.push(() => conversation.close());

    const call = <C extends RequestContract>(as: Person, contract: C, payload: RequestOf<C>) =>
      rpc.request(contract, payload, { token: as.token });
    return {
      namespace,
      nats,
      rpc,
      identity,
      permission,
      conversation,
      database,
      operator,
      tenant: (slug) =>
        rpc.request(
          identityRequests.createTenant,
          { slug, name: slug, allowsSelfRegistration: true },
          { token: operator.token },
        ),
      async person(tenant, name = 'Someone') {
        const email = `${name.toLowerCase().replace(/[^a-z]/g, '')}-${randomUUID().slice(0, 8)}@example.test`;
        await rpc.request(identityRequests.registerUser, {
          tenant: tenant.slug,
          email,
          password: userPassword,
          fullName: name,
        });
        const person = await login(rpc, tenant.slug, email, userPassword);
        // The permission service assigns tenant-user when it records identity's user.created.
        const ready = await eventually(
          () =>
            rpc.request(
              permissionRequests.check,
              { actorId: person.id, permission: 'conversation:conversation:create' },
              { token: person.token },
            ),
          (answer) => answer.allowed,
          15_000,
        );
        if (!ready.allowed) {
          throw new Error(`${name} was not given tenant-user in time`);
        }
        return person;
      },
      call,
      async send(as, contract, payload) {
        const headers = natsHeaders();
        headers.set(headerNames.authorization, `Bearer ${as.token}`);
        const reply = await nats.request(namespace.subject(contract.subject), JSON.stringify(payload), {
          timeout: 5000,
          headers,
        });
        const envelope = replyEnvelopeSchema.parse(reply.json());
        if (!envelope.ok) {
          throw ParleyError.fromEnvelope(envelope.error);
        }
        return contract.response.parse(envelope.data) as ResponseOf<typeof contract>;
      },
      events: () => streamEvents(nats, namespace),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function login(rpc: NatsRpcClient, tenant: string, email: string, password: string): Promise<Person> {
  const pair: TokenPair = await rpc.request(identityRequests.login, { tenant, email, password });
  const principal = principalOf(pair);
  return { principal, token: pair.accessToken, id: principal.userId };
}

async function streamEvents(nats: NatsConnection, namespace: Namespace): Promise<PublishedEvent[]> {
  const jsm = await jetstreamManager(nats);
  const stream = namespace.stream(eventStreamName('conversation'));
  const info = await jsm.streams.info(stream);
  const events: PublishedEvent[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message === null) {
      continue;
    }
    const parts = namespace.strip(message.subject).split('.');
    events.push({
      tenantId: parts[3] as string,
      type: parts.slice(4).join('.'),
      payload: message.json<Record<string, unknown>>(),
    });
  }
  return events;
}

/** Waits until the conversation stream holds an event matching `match`; returns the matching ones. */
export async function publishedEvents(
  platform: Platform,
  match: (event: PublishedEvent) => boolean,
  count = 1,
): Promise<PublishedEvent[]> {
  const events = await eventually(
    () => platform.events(),
    (all) => all.filter(match).length >= count,
    10_000,
  );
  return events.filter(match);
}

export interface ConversationAlone {
  readonly app: INestApplication;
  readonly config: ConversationConfig;
  readonly baseUrl: string;
  readonly nats: NatsConnection;
  readonly namespace: Namespace;
  readonly database: TestDatabase;
  stop(): Promise<void>;
}

/** The conversation service alone, in a namespace of its own: for what needs no other service. */
export async function startConversationAlone(
  env: Record<string, string> = {},
  overrides: ConversationOverrides = {},
): Promise<ConversationAlone> {
  const database = await migratedConversationDatabase();
  const prefix = uniqueNamespace();
  let app: INestApplication | undefined;
  try {
    const config = testConversationConfig(database, prefix, env);
    app = await startConversation(config, overrides);
    const started = app;
    const baseUrl = (await started.getUrl()).replace('[::1]', '127.0.0.1');
    const nats = await connectNats({ url: natsUrl(), name: 'conversation-test-client' });
    return {
      app: started,
      config,
      baseUrl,
      nats,
      namespace: new Namespace(prefix),
      database,
      async stop() {
        await nats.drain();
        await started.close();
        await database.drop();
      },
    };
  } catch (error) {
    await app?.close();
    await database.drop();
    throw error;
  }
}
