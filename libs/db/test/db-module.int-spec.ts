import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { ParleyError } from '@parley/contracts';
import { createTestDatabase, urlForLogin, type TestDatabase } from '@parley/testing';
import {
  DB_OPTIONS,
  DbHealth,
  DbModule,
  OutboxModule,
  OutboxRelay,
  OutboxWriter,
  PgIdempotencyStore,
  runMigrations,
  runPrepared,
  createDataSource,
  type OutboxPublisher,
} from '../src/index.js';
import {
  connect,
  dropLogins,
  migrationFolder,
  silentLogger,
  uniqueLogin,
  waitFor,
} from './db-test-support.js';

@Injectable()
class NullPublisher implements OutboxPublisher {
  async publish(): Promise<void> {}
}

@Module({ providers: [NullPublisher], exports: [NullPublisher] })
class PublisherModule {}

describe('DbModule and PgIdempotencyStore', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  const login = uniqueLogin();
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await connect(database.url);
    await runMigrations({
      adminUrl: database.url,
      schema: 'app',
      login: { name: login },
      directory: await migrationFolder({}),
    });
    url = urlForLogin(database.url, login);
  });

  afterAll(async () => {
    await admin.end();
    await database.drop();
    await dropLogins(login);
  });

  it('provides an initialized DataSource in UTC on the service schema, and closes it on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DbModule.forRoot({ url, schema: 'app', entities: [], poolSize: 2 })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const dataSource = app.get(DataSource);
    expect(dataSource.isInitialized).toBe(true);
    const [settings] = await dataSource.query<[{ timezone: string; search_path: string; login: string }]>(
      `SELECT current_setting('TimeZone') AS timezone, current_setting('search_path') AS search_path, current_user AS login`,
    );
    expect(settings).toEqual({ timezone: 'UTC', search_path: 'app', login });
    expect(app.get(OutboxWriter)).toBeInstanceOf(OutboxWriter);
    expect(app.get(PgIdempotencyStore)).toBeInstanceOf(PgIdempotencyStore);
    expect(app.get(DB_OPTIONS)).toMatchObject({ schema: 'app' });
    const health = app.get(DbHealth);
    await expect(health.check()).resolves.toBeUndefined();

    await app.close();
    expect(dataSource.isInitialized).toBe(false);
    await expect(health.check()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('runs prepared statements on the pool, planned once per connection, in the same session settings', async () => {
    const dataSource = createDataSource({ url, schema: 'app', entities: [], poolSize: 1 });
    const statement = {
      name: 'app-settings',
      text: `SELECT $1::int + 1 AS next, current_setting('TimeZone') AS timezone`,
    };
    await expect(runPrepared(dataSource, statement, [1])).rejects.toMatchObject({ code: 'internal' });
    await dataSource.initialize();
    try {
      await expect(runPrepared(dataSource, statement, [1])).resolves.toEqual([{ next: 2, timezone: 'UTC' }]);
      await expect(runPrepared(dataSource, statement, [41])).resolves.toEqual([
        { next: 42, timezone: 'UTC' },
      ]);
      const [prepared] = await runPrepared<{ statements: string }>(
        dataSource,
        {
          name: 'app-prepared',
          text: 'SELECT count(*)::text AS statements FROM pg_prepared_statements WHERE name = $1',
        },
        ['app-settings'],
      );
      expect(prepared).toEqual({ statements: '1' });
    } finally {
      await dataSource.destroy();
    }
  });

  it('is configured asynchronously and runs the outbox relay for the application lifetime', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PublisherModule,
        DbModule.forRootAsync({
          imports: [PublisherModule],
          inject: [NullPublisher],
          useFactory: async (publisher: NullPublisher) => {
            expect(publisher).toBeInstanceOf(NullPublisher);
            return { url, schema: 'app', entities: [] };
          },
        }),
        OutboxModule.forRoot({
          publisher: NullPublisher,
          imports: [PublisherModule],
          logger: silentLogger,
          pollIntervalMs: 50,
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const relay = app.get(OutboxRelay);
    await waitFor(
      () => relay.state,
      (state) => state === 'active',
    );
    await app.close();
    expect(relay.state).toBe('stopped');
  });

  it('reports the database unavailable when it does not answer', async () => {
    const health = new DbHealth({
      isInitialized: true,
      query: () => new Promise(() => undefined),
    } as unknown as DataSource);
    await expect(health.check(20)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'The database did not answer in time',
    });
    const failing = new DbHealth({
      isInitialized: true,
      query: () => Promise.reject(new Error('boom')),
    } as unknown as DataSource);
    await expect(failing.check()).rejects.toMatchObject({ code: 'unavailable', details: { reason: 'boom' } });
  });

  describe('PgIdempotencyStore', () => {
    let dataSource: DataSource;
    const store = new PgIdempotencyStore('app');

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [DbModule.forRoot({ url, schema: 'app', entities: [] })],
      }).compile();
      dataSource = moduleRef.get(DataSource);
    });

    afterAll(async () => {
      await dataSource.destroy();
    });

    it('claims a message once per consumer', async () => {
      expect(await dataSource.transaction((manager) => store.claim(manager, 'mailer', 'm-1'))).toBe(true);
      expect(await dataSource.transaction((manager) => store.claim(manager, 'mailer', 'm-1'))).toBe(false);
      expect(await dataSource.transaction((manager) => store.claim(manager, 'indexer', 'm-1'))).toBe(true);
    });

    it('forgets a claim whose transaction rolled back', async () => {
      const failure = new Error('handler failed');
      await expect(
        dataSource.transaction(async (manager) => {
          expect(await store.claim(manager, 'mailer', 'm-2')).toBe(true);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await dataSource.transaction((manager) => store.claim(manager, 'mailer', 'm-2'))).toBe(true);
    });

    it('lets only one of two concurrent handlers claim a message', async () => {
      const results = await Promise.all(
        [1, 2].map(() =>
          dataSource.transaction(async (manager) => {
            const claimed = await store.claim(manager, 'mailer', 'm-3');
            await new Promise((resolve) => setTimeout(resolve, 50));
            return claimed;
          }),
        ),
      );
      expect(results.sort()).toEqual([false, true]);
    });

    it('prunes claims older than a date', async () => {
      await dataSource.transaction((manager) => store.claim(manager, 'pruner', 'old'));
      await admin.query(
        `UPDATE app.processed_messages SET created_at = now() - interval '30 days' WHERE consumer = 'pruner'`,
      );
      await dataSource.transaction((manager) => store.claim(manager, 'pruner', 'new'));
      const pruned = await dataSource.transaction((manager) =>
        store.prune(manager, new Date(Date.now() - 24 * 60 * 60 * 1000)),
      );
      expect(pruned).toBe(1);
      expect(await dataSource.transaction((manager) => store.claim(manager, 'pruner', 'old'))).toBe(true);
      expect(await dataSource.transaction((manager) => store.claim(manager, 'pruner', 'new'))).toBe(false);
    });

    it.each([
      ['an empty consumer', '', 'm'],
      ['an empty message id', 'mailer', ''],
      ['a message id over 255 characters', 'mailer', 'x'.repeat(256)],
    ])('refuses %s', async (_what, consumer, messageId) => {
      await expect(
        dataSource.transaction((manager) => store.claim(manager, consumer, messageId)),
      ).rejects.toBeInstanceOf(ParleyError);
    });
  });
});
