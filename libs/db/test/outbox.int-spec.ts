import type pg from 'pg';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent, headerNames, ParleyError } from '@parley/contracts';
import { requestContext } from '@parley/logging';
import { createTestDatabase, urlForLogin, type TestDatabase } from '@parley/testing';
import {
  createDataSource,
  OutboxRelay,
  OutboxWriter,
  runMigrations,
  type OutboxPublisher,
  type OutboxRelayOptions,
} from '../src/index.js';
import {
  connect,
  dropLogins,
  migrationFolder,
  silentLogger,
  uniqueLogin,
  waitFor,
} from './db-test-support.js';

const gadgetCreated = defineEvent({
  service: 'identity',
  entity: 'gadget',
  event: 'created',
  summary: 'A gadget was created',
  payload: z.object({ name: z.string().min(1), size: z.number().int().default(1) }),
});

const tenantId = '0190a5a4-7a4e-7c31-9d4e-1a2b3c4d5e6f';

interface Published {
  subject: string;
  payload: unknown;
  msgId: string;
  headers: Record<string, string> | undefined;
}

/** Stands in for JetStream: records what it was given, fails when told to. */
class RecordingPublisher implements OutboxPublisher {
  readonly published: Published[] = [];
  readonly attempts: string[] = [];
  failNext = 0;

  async publish(
    subject: string,
    payload: unknown,
    options: { msgId: string; headers?: Record<string, string> },
  ): Promise<void> {
    this.attempts.push(options.msgId);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('broker unavailable');
    }
    this.published.push({ subject, payload, msgId: options.msgId, headers: options.headers });
  }
}

describe('transactional outbox', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  const login = uniqueLogin();
  let loginUrl: string;
  let schemas = 0;
  const relays: OutboxRelay[] = [];
  const dataSources: DataSource[] = [];

  /** A fresh schema with the prelude, and a data source on it as the service login. */
  async function freshSchema(): Promise<{ schema: string; dataSource: DataSource; writer: OutboxWriter }> {
    schemas += 1;
    const schema = `outbox_${schemas}`;
    await runMigrations({
      adminUrl: database.url,
      schema,
      login: { name: login },
      directory: await migrationFolder({}),
    });
    const dataSource = await createDataSource({
      url: loginUrl,
      schema,
      entities: [],
      poolSize: 2,
    }).initialize();
    dataSources.push(dataSource);
    return { schema, dataSource, writer: new OutboxWriter(schema) };
  }

  function relay(options: Omit<OutboxRelayOptions, 'connection' | 'logger'>): OutboxRelay {
    const created = new OutboxRelay({
      connection: loginUrl,
      logger: silentLogger,
      standbyIntervalMs: 50,
      retryInitialMs: 20,
      retryMaxMs: 100,
      ...options,
    });
    relays.push(created);
    return created;
  }

  async function appendAll(dataSource: DataSource, writer: OutboxWriter, names: string[]): Promise<string[]> {
    return dataSource.transaction(async (manager) => {
      const ids: string[] = [];
      for (const name of names) {
        ids.push((await writer.append(manager, gadgetCreated, tenantId, { name })).id);
      }
      return ids;
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await connect(database.url);
    loginUrl = urlForLogin(database.url, login);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((each) => each.stop()));
  });

  afterAll(async () => {
    await Promise.all(dataSources.map((each) => each.destroy()));
    await admin.end();
    await database.drop();
    await dropLogins(login);
  });

  describe('OutboxWriter', () => {
    it('writes nothing when the transaction rolls back', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const rollback = new Error('rolled back on purpose');
      await expect(
        dataSource.transaction(async (manager) => {
          await writer.append(manager, gadgetCreated, tenantId, { name: 'lost' });
          throw rollback;
        }),
      ).rejects.toBe(rollback);
      const rows = await admin.query(`SELECT count(*)::int AS count FROM ${schema}.outbox_events`);
      expect(rows.rows[0]).toEqual({ count: 0 });
    });

    it('stores the validated payload, the subject and the headers of the request context', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const appended = await requestContext.run(
        { correlationId: 'corr-1', tenantId, actorId: 'actor-1' },
        () =>
          dataSource.transaction((manager) =>
            writer.append(
              manager,
              gadgetCreated,
              tenantId,
              { name: 'kept' },
              { headers: { 'X-Extra': 'yes', [headerNames.correlationId]: 'corr-2' } },
            ),
          ),
      );
      expect(appended.subject).toBe(`identity.v1.events.${tenantId}.gadget.created`);
      const rows = await admin.query(
        `SELECT id, tenant_id, subject, event_type, payload, headers, published_at FROM ${schema}.outbox_events`,
      );
      expect(rows.rows).toEqual([
        {
          id: appended.id,
          tenant_id: tenantId,
          subject: appended.subject,
          event_type: 'gadget.created',
          payload: { name: 'kept', size: 1 },
          headers: {
            [headerNames.correlationId]: 'corr-2',
            [headerNames.tenantId]: tenantId,
            [headerNames.actorId]: 'actor-1',
            [headerNames.eventType]: 'gadget.created',
            'X-Extra': 'yes',
          },
          published_at: null,
        },
      ]);
    });

    it('gives events of one transaction increasing ids, and takes a given id', async () => {
      const { dataSource, writer } = await freshSchema();
      const ids = await appendAll(dataSource, writer, ['a', 'b', 'c', 'd', 'e']);
      expect([...ids].sort()).toEqual(ids);
      const chosen = '0190a5a4-0000-7000-8000-000000000001';
      const appended = await dataSource.transaction((manager) =>
        writer.append(manager, gadgetCreated, tenantId, { name: 'x' }, { id: chosen }),
      );
      expect(appended.id).toBe(chosen);
      await expect(
        dataSource.transaction((manager) =>
          writer.append(manager, gadgetCreated, tenantId, { name: 'x' }, { id: chosen }),
        ),
      ).rejects.toMatchObject({ code: 'conflict' });
    });

    it.each([
      [
        'a payload that breaks the contract',
        { name: '' },
        {},
        tenantId,
        'validation_failed',
        /Invalid gadget.created payload/,
      ],
      ['a tenant id that is not a UUID', { name: 'x' }, {}, 'acme.*', 'validation_failed', /tenant id/],
      [
        'an event id that is not a UUID',
        { name: 'x' },
        { id: '42' },
        tenantId,
        'validation_failed',
        /event id/,
      ],
      [
        'the message id as a header',
        { name: 'x' },
        { headers: { 'nats-msg-id': 'x' } },
        tenantId,
        'validation_failed',
        /options.id/,
      ],
      [
        'a header name with a space',
        { name: 'x' },
        { headers: { 'Bad Name': 'x' } },
        tenantId,
        'validation_failed',
        /Invalid event header/,
      ],
      [
        'a header value with a line break',
        { name: 'x' },
        { headers: { Good: 'a\r\nb' } },
        tenantId,
        'validation_failed',
        /Invalid event header/,
      ],
    ] as const)('refuses %s', async (_what, payload, options, tenant, code, message) => {
      const { dataSource, writer } = await freshSchema();
      const failure = await dataSource
        .transaction((manager) => writer.append(manager, gadgetCreated, tenant, payload as never, options))
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ParleyError);
      expect(failure).toMatchObject({ code, message: expect.stringMatching(message) });
    });

    it('refuses to write outside a transaction', async () => {
      const { dataSource, writer } = await freshSchema();
      await expect(
        writer.append(dataSource.manager, gadgetCreated, tenantId, { name: 'x' }),
      ).rejects.toMatchObject({ code: 'internal' });
    });
  });

  describe('OutboxRelay', () => {
    it('publishes committed events in id order with the event id as message id, then marks them', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const ids = await appendAll(dataSource, writer, ['one', 'two', 'three', 'four', 'five']);
      const publisher = new RecordingPublisher();
      const lags: number[] = [];
      const registry = new Registry();
      const active = relay({ schema, publisher, batchSize: 2, onLag: (ms) => lags.push(ms), registry });
      active.start();
      active.start();
      await waitFor(
        () => publisher.published.length,
        (count) => count === 5,
      );
      expect(publisher.published.map((event) => event.msgId)).toEqual(ids);
      expect(publisher.published[0]).toEqual({
        subject: `identity.v1.events.${tenantId}.gadget.created`,
        payload: { name: 'one', size: 1 },
        msgId: ids[0],
        headers: expect.objectContaining({
          [headerNames.tenantId]: tenantId,
          [headerNames.eventType]: 'gadget.created',
        }),
      });
      await waitFor(
        async () =>
          (
            await admin.query<{ count: number }>(
              `SELECT count(*)::int AS count FROM ${schema}.outbox_events WHERE published_at IS NULL`,
            )
          ).rows[0],
        (row) => row?.count === 0,
      );
      await waitFor(
        () => lags.length,
        (count) => count > 0,
      );
      expect(active.state).toBe('active');
      // Two full rounds found events waiting since before the relay started; the third emptied it.
      expect(lags.slice(0, 2).every((lag) => lag > 0)).toBe(true);
      expect(lags.slice(2)).toEqual(lags.slice(2).map(() => 0));
      expect(active.lagMs).toBe(0);
      expect(await registry.getSingleMetricAsString('parley_outbox_lag_seconds')).toContain(
        `parley_outbox_lag_seconds{schema="${schema}"} 0`,
      );
    });

    it('wakes on NOTIFY rather than waiting for the next poll', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const publisher = new RecordingPublisher();
      const active = relay({ schema, publisher, pollIntervalMs: 60_000 });
      active.start();
      await waitFor(
        () => active.state,
        (state) => state === 'active',
      );
      // Let the relay finish its first round and start waiting.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [id] = await appendAll(dataSource, writer, ['ping']);
      await waitFor(
        () => publisher.published.map((event) => event.msgId),
        (published) => published.includes(id ?? ''),
        5000,
      );
    });

    it('publishes a round together, retries from a failed event with backoff, and loses nothing', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const ids = await appendAll(dataSource, writer, ['first', 'second', 'third']);
      const publisher = new RecordingPublisher();
      const lags: number[] = [];
      // The second publish and the two after it fail: the broker went away for a moment.
      const original = publisher.publish.bind(publisher);
      let calls = 0;
      publisher.publish = async (subject, payload, options) => {
        calls += 1;
        if (calls === 2) {
          publisher.failNext = 3;
        }
        return original(subject, payload, options);
      };
      const active = relay({ schema, publisher, onLag: (ms) => lags.push(ms) });
      active.start();
      await waitFor(
        () => new Set(publisher.published.map((event) => event.msgId)).size,
        (count) => count === 3,
      );
      // Round one sent all three and only the first was stored; the next rounds start again from
      // the failed second event, until it is stored.
      expect(publisher.attempts.slice(0, 3)).toEqual(ids);
      expect(publisher.published[0]?.msgId).toBe(ids[0]);
      expect(publisher.attempts.filter((id) => id === ids[1]).length).toBeGreaterThan(1);
      expect(publisher.attempts.at(-2)).toBe(ids[1]);
      expect(publisher.attempts.at(-1)).toBe(ids[2]);
      // Nothing is marked published that was not: the outbox is empty only once all three are out.
      await waitFor(
        async () =>
          (
            await admin.query<{ count: number }>(
              `SELECT count(*)::int AS count FROM ${schema}.outbox_events WHERE published_at IS NULL`,
            )
          ).rows[0]?.count,
        (count) => count === 0,
      );
      // While the second event was stuck, the relay reported how long it had been waiting.
      expect(lags.some((lag) => lag > 0)).toBe(true);
    });

    it('lets exactly one of several relays publish, and another take over when it stops', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const publishers = [new RecordingPublisher(), new RecordingPublisher(), new RecordingPublisher()];
      const relaysOfSchema = publishers.map((publisher) => relay({ schema, publisher, pollIntervalMs: 50 }));
      for (const each of relaysOfSchema) {
        each.start();
      }
      await waitFor(
        () => relaysOfSchema.map((each) => each.state).sort(),
        (states) => states.join() === 'active,standby,standby',
      );
      const first = await appendAll(dataSource, writer, ['a', 'b', 'c']);
      await waitFor(
        () => publishers.reduce((sum, publisher) => sum + publisher.published.length, 0),
        (count) => count === 3,
      );
      const activeIndex = relaysOfSchema.findIndex((each) => each.state === 'active');
      expect(publishers[activeIndex]?.published.map((event) => event.msgId)).toEqual(first);

      await relaysOfSchema[activeIndex]?.stop();
      await waitFor(
        () => relaysOfSchema.filter((each) => each.state === 'active').length,
        (count) => count === 1,
      );
      const second = await appendAll(dataSource, writer, ['d', 'e']);
      const all = await waitFor(
        () => publishers.flatMap((publisher) => publisher.published.map((event) => event.msgId)),
        (published) => published.length === 5,
      );
      expect(all).toEqual(expect.arrayContaining([...first, ...second]));
      const successor = relaysOfSchema.findIndex((each) => each.state === 'active');
      expect(successor).not.toBe(activeIndex);
      expect(publishers[successor]?.published.map((event) => event.msgId)).toEqual(second);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(publishers.flatMap((publisher) => publisher.published)).toHaveLength(5);
    });

    it('reconnects when its session is killed and carries on', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const publisher = new RecordingPublisher();
      const active = relay({ schema, publisher, pollIntervalMs: 50 });
      active.start();
      await waitFor(
        () => active.state,
        (state) => state === 'active',
      );
      const session = async (): Promise<number | undefined> =>
        (
          await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
            `outbox-relay-${schema}`,
          ])
        ).rows[0]?.pid;
      const killed = await session();
      await admin.query('SELECT pg_terminate_backend($1)', [killed]);
      const ids = await appendAll(dataSource, writer, ['after']);
      await waitFor(
        () => publisher.published.map((event) => event.msgId),
        (published) => published.join() === ids.join(),
      );
      // A new session took over the lock.
      await waitFor(session, (pid) => pid !== undefined && pid !== killed);
      await waitFor(
        () => active.state,
        (state) => state === 'active',
      );
    });

    it('deletes published events once they are older than the retention period', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const [old, recent, pending] = await appendAll(dataSource, writer, ['old', 'recent', 'pending']);
      await admin.query(
        `UPDATE ${schema}.outbox_events SET published_at = now() - interval '2 days' WHERE id = $1`,
        [old],
      );
      await admin.query(
        `UPDATE ${schema}.outbox_events SET published_at = now() - interval '1 hour' WHERE id = $1`,
        [recent],
      );
      const publisher = new RecordingPublisher();
      const active = relay({ schema, publisher, retentionMs: 24 * 60 * 60 * 1000, cleanupIntervalMs: 0 });
      active.start();
      const remaining = await waitFor(
        async () =>
          (await admin.query<{ id: string }>(`SELECT id FROM ${schema}.outbox_events ORDER BY id`)).rows.map(
            (row) => row.id,
          ),
        (rows) => rows.length === 2,
      );
      expect(remaining).toEqual([recent, pending]);
      expect(publisher.published.map((event) => event.msgId)).toEqual([pending]);
    });

    it('keeps retrying when it cannot connect, and stops promptly', async () => {
      const publisher = new RecordingPublisher();
      const unreachable = new URL(loginUrl);
      unreachable.pathname = '/parley_no_such_database';
      const lost = new OutboxRelay({
        connection: unreachable.toString(),
        schema: 'nowhere',
        publisher,
        logger: silentLogger,
        retryInitialMs: 10,
        retryMaxMs: 20,
      });
      lost.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(['connecting', 'stopped']).toContain(lost.state);
      const started = Date.now();
      await lost.stop();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(lost.state).toBe('stopped');
      expect(() => new OutboxRelay({ connection: loginUrl, schema: 'Bad', publisher })).toThrow(ParleyError);
    });

    it('marks what went out before it stops, even when stopped in the middle of a round', async () => {
      const { schema, dataSource, writer } = await freshSchema();
      const ids = await appendAll(dataSource, writer, ['one', 'two']);
      const publisher = new RecordingPublisher();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((open) => {
        release = open;
      });
      const original = publisher.publish.bind(publisher);
      let sent = 0;
      publisher.publish = async (subject, payload, options) => {
        sent += 1;
        await gate;
        return original(subject, payload, options);
      };
      const active = relay({ schema, publisher });
      active.start();
      await waitFor(
        () => sent,
        (count) => count === 2,
      );
      const stopped = active.stop();
      release();
      await stopped;
      expect(publisher.published.map((event) => event.msgId)).toEqual(ids);
      const unpublished = await admin.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM ${schema}.outbox_events WHERE published_at IS NULL`,
      );
      expect(unpublished.rows[0]?.count).toBe(0);
    });

    it('is started and stopped by the Nest lifecycle hooks', async () => {
      const { schema } = await freshSchema();
      const hooked = new OutboxRelay({
        connection: { connectionString: loginUrl },
        schema,
        publisher: new RecordingPublisher(),
        logger: silentLogger,
      });
      hooked.onApplicationBootstrap();
      await waitFor(
        () => hooked.state,
        (state) => state === 'active',
      );
      await hooked.beforeApplicationShutdown();
      expect(hooked.state).toBe('stopped');
    });
  });
});
