import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import {
  errorEnvelopeSchema,
  eventStreamName,
  tokenPairSchema,
  userSchema,
  type ErrorEnvelope,
  type Principal,
  type TokenPair,
  type User,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, Namespace, NatsRpcClient } from '@parley/nats';
import {
  createTestDatabase,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  type TestDatabase,
} from '@parley/testing';
import { PasswordHasher } from '../src/crypto/password-hasher.js';
import { identityConfig } from '../src/identity.config.js';
import { startIdentity } from '../src/identity.app.js';
import type { Clock } from '../src/identity.options.js';

export const operatorEmail = 'operator@parley.test';
export const operatorPassword = 'operator-password-1';

/** Argon2id with small parameters: same code path, test-friendly cost. */
export const cheapHasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

export interface IdentityUnderTest {
  app: INestApplication;
  baseUrl: string;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  /** Moves the service's clock forward. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

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

export { eventually } from '@parley/testing';

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
