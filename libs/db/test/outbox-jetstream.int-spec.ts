import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { z } from 'zod';
import { defineEvent, eventStreamName } from '@parley/contracts';
import { connectNats, EventPublisher, Namespace, provisionServiceEventStream } from '@parley/nats';
import {
  createTestDatabase,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  type TestDatabase,
} from '@parley/testing';
import { createDataSource, OutboxRelay, OutboxWriter, runMigrations } from '../src/index.js';
import {
  connect,
  dropLogins,
  migrationFolder,
  silentLogger,
  uniqueLogin,
  waitFor,
} from './db-test-support.js';

const noteAdded = defineEvent({
  service: 'conversation',
  entity: 'note',
  event: 'added',
  summary: 'A note was added',
  payload: z.object({ text: z.string() }),
});
const tenantId = '0190a5a4-7a4e-7c31-9d4e-00000000abcd';

describe('outbox relay with JetStream', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  const namespace = new Namespace(uniqueNamespace());
  const stream = namespace.stream(eventStreamName('conversation'));
  const login = uniqueLogin();

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await connect(database.url);
    nats = await connectNats({ url: natsUrl(), name: 'db-outbox-test' });
    jsm = await jetstreamManager(nats);
    await provisionServiceEventStream(jsm, namespace, 'conversation');
  });

  afterAll(async () => {
    await jsm.streams.delete(stream);
    await nats.drain();
    await admin.end();
    await database.drop();
    await dropLogins(login);
  });

  it('stores each event once, in order, even when the relay publishes it again', async () => {
    await runMigrations({
      adminUrl: database.url,
      schema: 'conversation',
      login: { name: login },
      directory: await migrationFolder({}),
    });
    const dataSource = await createDataSource({
      url: urlForLogin(database.url, login),
      schema: 'conversation',
      entities: [],
    }).initialize();
    const writer = new OutboxWriter('conversation');
    const relay = new OutboxRelay({
      connection: urlForLogin(database.url, login),
      schema: 'conversation',
      publisher: new EventPublisher(nats, namespace),
      logger: silentLogger,
      pollIntervalMs: 50,
    });
    try {
      const ids = await dataSource.transaction(async (manager) => {
        const appended = [];
        for (const text of ['one', 'two', 'three']) {
          appended.push((await writer.append(manager, noteAdded, tenantId, { text })).id);
        }
        return appended;
      });
      relay.start();
      await waitFor(
        async () => (await jsm.streams.info(stream)).state.messages,
        (count) => count === 3,
      );

      // As after a crash between publishing and marking: JetStream drops the repeats by msgId.
      await admin.query('UPDATE conversation.outbox_events SET published_at = NULL');
      await waitFor(
        async () =>
          (
            await admin.query<{ count: number }>(
              'SELECT count(*)::int AS count FROM conversation.outbox_events WHERE published_at IS NULL',
            )
          ).rows[0],
        (row) => row?.count === 0,
      );
      expect((await jsm.streams.info(stream)).state.messages).toBe(3);

      const stored = [];
      for (let seq = 1; seq <= 3; seq += 1) {
        const message = await jsm.streams.getMessage(stream, { seq });
        stored.push({
          subject: message?.subject,
          msgId: message?.header.get('Nats-Msg-Id'),
          text: message?.json<{ text: string }>().text,
        });
      }
      expect(stored).toEqual(
        ids.map((id, index) => ({
          subject: namespace.subject(noteAdded.subject(tenantId)),
          msgId: id,
          text: ['one', 'two', 'three'][index],
        })),
      );
    } finally {
      await relay.stop();
      await dataSource.destroy();
    }
  });
});
