import pg from 'pg';
import { checkLoginConfinement, checkSqlConventions } from '@parley/db';
import { configureLogging } from '@parley/logging';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from '@parley/testing';
import { notificationLogin, migratedNotificationDatabase } from './notification.harness.js';

describe('notification schema', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await migratedNotificationDatabase();
    // A neighbour the notification login must not reach.
    await withClient(database.url, async (client) => {
      await client.query('CREATE SCHEMA neighbour');
      await client.query('CREATE TABLE neighbour.secrets (id integer PRIMARY KEY, value text)');
      await client.query("INSERT INTO neighbour.secrets VALUES (1, 'hidden')");
    });
  });
  afterAll(() => database.drop());

  it('follows docs/00010-conventions-sql.md', async () => {
    const violations = await withClient(database.url, (client) =>
      checkSqlConventions(client, 'notification'),
    );
    expect(violations).toEqual([]);
  });

  it('confines the notification login to its own schema', async () => {
    const login = new pg.Client({ connectionString: urlForLogin(database.url, notificationLogin) });
    await login.connect();
    try {
      expect(await checkLoginConfinement(login, 'notification')).toEqual([]);
      await expect(login.query('SELECT value FROM neighbour.secrets')).rejects.toThrow(/permission denied/);
      await expect(login.query('CREATE TABLE notification.intruder (id integer)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(login.query('SELECT count(*) FROM notification.outbox_events')).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await login.end();
    }
  });

  it('is migrated by src/migrate.ts from sql/notification/', async () => {
    const target = await createTestDatabase();
    const variables = {
      DATABASE_ADMIN_URL: target.url,
      DATABASE_URL: urlForLogin(target.url, notificationLogin),
    };
    const saved = Object.keys(variables).map((key) => [key, process.env[key]] as const);
    try {
      configureLogging({ service: 'notification', level: 'silent' });
      Object.assign(process.env, variables);
      await import('../src/migrate.js');
      expect(process.exitCode).toBe(0);
      const applied = await withClient(target.url, (client) =>
        client.query<{ name: string }>('SELECT name FROM notification.schema_migrations ORDER BY name'),
      );
      expect(applied.rows.map((row) => row.name)).toContain('notification/0001_notification_schema.sql');
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) {
          delete process.env[key];
        } else {
          process.env[key] = value;
        }
      }
      process.exitCode = undefined;
      await target.drop();
    }
  });
});
