import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  conversationReaders,
  eventStreamName,
  headerNames,
  identityEvents,
  ParleyError,
  replyEnvelopeSchema,
  type EventContract,
  type PayloadOf,
  type Principal,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
  type User,
  type UserKind,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { connectNats, EventPublisher, Namespace, NatsRpcClient } from '@parley/nats';
import {
  migratedServiceDatabase,
  eventually,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  withClient,
  type TestDatabase,
} from '@parley/testing';
import {
  bootstrapWorld,
  startPermissionUnderTest,
  type PermissionUnderTest,
  type World,
} from '../../permission/test/permission.harness.js';
import { ConversationReaders } from '../src/conversations/conversation-readers.js';
import { notificationConfig, type NotificationConfig } from '../src/notification.config.js';
import { startNotification } from '../src/notification.app.js';
import type { NotificationOverrides } from '../src/notification.module.js';

export { eventually };

export const notificationLogin = 'notification_service';

/** A fresh database with the notification schema migrated; `drop()` removes it. */
export function migratedNotificationDatabase(): Promise<TestDatabase> {
  return migratedServiceDatabase('notification');
}

/** The service's configuration on a test database and namespace. */
export function testNotificationConfig(
  database: TestDatabase,
  namespace: string,
  env: Record<string, string> = {},
): NotificationConfig {
  return loadConfig(notificationConfig, {
    DATABASE_URL: urlForLogin(database.url, notificationLogin),
    NATS_URL: natsUrl(),
    NATS_NAMESPACE: namespace,
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    NOTIFICATION_BROADCAST_POLL_INTERVAL: '200ms',
    NOTIFICATION_EMAIL_POLL_INTERVAL: '50ms',
    ...env,
  });
}

export interface NotificationUnderTest {
  app: INestApplication;
  config: NotificationConfig;
  baseUrl: string;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  stop(): Promise<void>;
}

/**
 * The notification service alone on a fresh database, in a NATS namespace of its own, listening
 * on a free port, with a NATS client in the same namespace to call it.
 */
export async function startNotificationUnderTest(
  env: Record<string, string> = {},
): Promise<NotificationUnderTest> {
  const database = await migratedNotificationDatabase();
  const namespace = uniqueNamespace();
  let app: INestApplication | undefined;
  try {
    const config = testNotificationConfig(database, namespace, env);
    const started = await startNotification(config);
    app = started;
    const baseUrl = (await started.getUrl()).replace('[::1]', '127.0.0.1');
    const nats = await connectNats({ url: natsUrl(), name: 'notification-test-client' });
    return {
      app: started,
      config,
      baseUrl,
      rpc: new NatsRpcClient(nats, new Namespace(namespace)),
      nats,
      namespace: new Namespace(namespace),
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

/** A row of notification.notifications as the tests read it. */
export interface StoredNotification {
  id: string;
  recipient_id: string;
  type: string;
  title: string;
  body: string;
  status: string;
  is_listed: boolean;
  source_id: string;
  data: Record<string, unknown>;
}

/** An event of the notification stream. */
export interface PublishedEvent {
  type: string;
  tenantId: string;
  payload: Record<string, unknown>;
}

/**
 * The permission service (with its stand-in for identity's keys) and the notification service in
 * one NATS namespace, as a deployment runs them; the test plays identity, the conversation service
 * and the file service by publishing their events.
 */
export interface Platform {
  readonly permission: PermissionUnderTest;
  readonly notification: INestApplication;
  readonly config: NotificationConfig;
  readonly database: TestDatabase;
  readonly namespace: Namespace;
  readonly nats: NatsConnection;
  readonly world: World;
  /** Publishes a user.created of identity and waits until the service recorded it. */
  user(
    tenantId: string,
    options?: Partial<Pick<User, 'kind' | 'status' | 'fullName' | 'email'>>,
  ): Promise<Principal>;
  /** Publishes an event of any service's contract in the namespace; returns its msgId. */
  publish<C extends EventContract>(
    contract: C,
    tenantId: string,
    payload: PayloadOf<C>,
    msgId?: string,
  ): Promise<string>;
  /** Waits until a durable consumer of the service has handled the message. */
  handled(durable: string, msgId: string): Promise<void>;
  call<C extends RequestContract>(as: Principal, contract: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  /** Like `call`, but the payload goes out unchecked, so that the service's own refusal is seen. */
  send<C extends RequestContract>(
    as: Principal | undefined,
    contract: C,
    payload: unknown,
  ): Promise<ResponseOf<C>>;
  /** A user's notifications, oldest first, straight from the database. */
  notificationsOf(userId: string): Promise<StoredNotification[]>;
  /** Runs SQL on the service's database as admin. */
  sql<T = Record<string, unknown>>(text: string, values?: unknown[]): Promise<T[]>;
  /** Marks the user as reading the conversation, as the realtime edge does, once the service sees it. */
  reading(tenantId: string, conversationId: string, userId: string): Promise<void>;
  /** Every event of the notification stream so far, in stream order. */
  events(): Promise<PublishedEvent[]>;
  /**
   * Stops the service and starts another instance on the same database and namespace, as a
   * redeployment does; `between` runs while no instance is up.
   */
  restart(between?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startPlatform(
  env: Record<string, string> = {},
  overrides: NotificationOverrides = {},
): Promise<Platform> {
  const stoppers: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) {
      await stop();
    }
  };
  try {
    const permission = await startPermissionUnderTest({}, { systemClock: true });
    stoppers.push(() => permission.stop());
    const namespace = permission.namespace;
    const database = await migratedNotificationDatabase();
    stoppers.push(() => database.drop());
    const config = testNotificationConfig(database, namespace.prefix, env);
    let notification = await startNotification(config, overrides);
    stoppers.push(() => notification.close());
    const nats = await connectNats({ url: natsUrl(), name: 'notification-test-client' });
    stoppers.push(() => nats.drain());
    const rpc = new NatsRpcClient(nats, namespace);
    const publisher = new EventPublisher(nats, namespace);
    const world = await bootstrapWorld(permission);
    const sql = <T>(text: string, values: unknown[] = []) =>
      withClient(database.url, async (client) => (await client.query(text, values)).rows as T[]);
    const handled = async (durable: string, msgId: string) => {
      const rows = await eventually(
        () =>
          sql('SELECT 1 FROM notification.processed_messages WHERE consumer = $1 AND message_id = $2', [
            durable,
            msgId,
          ]),
        (found) => found.length === 1,
        15_000,
      );
      if (rows.length !== 1) {
        throw new Error(`${durable} did not handle ${msgId} in time`);
      }
    };
    const platform: Platform = {
      permission,
      get notification() {
        return notification;
      },
      config,
      database,
      namespace,
      nats,
      world,
      async user(tenantId, options = {}) {
        const id = randomUUID();
        const now = new Date().toISOString();
        const user: User = {
          id,
          tenantId,
          kind: options.kind ?? ('person' satisfies UserKind),
          email: options.email ?? `${id.slice(0, 8)}@example.test`,
          fullName: options.fullName ?? `User ${id.slice(0, 4)}`,
          designation: null,
          status: options.status ?? 'active',
          createdAt: now,
          updatedAt: now,
        };
        const msgId = await platform.publish(identityEvents.userCreated, tenantId, { user });
        await handled('notification-identity', msgId);
        return { userId: id, tenantId, sessionId: randomUUID(), kind: user.kind };
      },
      async publish(contract, tenantId, payload, msgId = randomUUID()) {
        await publisher.publishEvent(contract, tenantId, payload, msgId);
        return msgId;
      },
      handled,
      async call(as, contract, payload) {
        return rpc.request(contract, payload, { token: await permission.signer.token(as) });
      },
      async send(as, contract, payload) {
        const headers = natsHeaders();
        if (as !== undefined) {
          headers.set(headerNames.authorization, `Bearer ${await permission.signer.token(as)}`);
        }
        const reply = await nats.request(namespace.subject(contract.subject), JSON.stringify(payload), {
          timeout: 10_000,
          headers,
        });
        const envelope = replyEnvelopeSchema.parse(reply.json());
        if (!envelope.ok) {
          throw ParleyError.fromEnvelope(envelope.error);
        }
        return contract.response.parse(envelope.data) as ResponseOf<typeof contract>;
      },
      notificationsOf: (userId) =>
        sql<StoredNotification>(
          `SELECT id, recipient_id, type, title, body, status, is_listed, source_id, data
           FROM notification.notifications WHERE recipient_id = $1 ORDER BY id`,
          [userId],
        ),
      sql,
      async reading(tenantId, conversationId, userId) {
        const kv = await new Kvm(nats).create(namespace.stream(conversationReaders.bucket), {
          ttl: conversationReaders.ttlMs,
          history: 1,
        });
        await kv.put(conversationReaders.key(tenantId, conversationId, userId), new Date().toISOString());
        const readers = notification.get(ConversationReaders);
        const seen = await eventually(
          () => Promise.resolve(readers.isReading(tenantId, conversationId, userId, new Date())),
          (value) => value,
        );
        if (!seen) {
          throw new Error('The service did not see the reader in time');
        }
      },
      async events() {
        const jsm = await jetstreamManager(nats);
        const stream = namespace.stream(eventStreamName('notification'));
        const info = await jsm.streams.info(stream);
        const events: PublishedEvent[] = [];
        for (
          let seq = info.state.first_seq;
          info.state.messages > 0 && seq <= info.state.last_seq;
          seq += 1
        ) {
          const message = await jsm.streams.getMessage(stream, { seq });
          if (message !== null) {
            const parts = namespace.strip(message.subject).split('.');
            events.push({
              type: parts.slice(4).join('.'),
              tenantId: parts[3] as string,
              payload: message.json<Record<string, unknown>>(),
            });
          }
        }
        return events;
      },
      async restart(between) {
        await notification.close();
        await between?.();
        notification = await startNotification(config, overrides);
      },
      stop: stopAll,
    };
    return platform;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Waits until the notification stream holds `count` events matching `match`; returns them. */
export async function eventsMatching(
  platform: Platform,
  match: (event: PublishedEvent) => boolean,
  count = 1,
  timeoutMs = 10_000,
): Promise<PublishedEvent[]> {
  const events = await eventually(
    () => platform.events(),
    (all) => all.filter(match).length >= count,
    timeoutMs,
  );
  return events.filter(match);
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
