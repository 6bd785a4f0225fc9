import pg from 'pg';
import { checkLoginConfinement, checkSqlConventions } from '@parley/db';
import { configureLogging } from '@parley/logging';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from '@parley/testing';
import { {{camelName}}Login, migrated{{Name}}Database } from './{{name}}.harness.js';

describe('{{schema}} schema', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await migrated{{Name}}Database();
    // A neighbour the {{name}} login must not reach.
    await withClient(database.url, async (client) => {
      await client.query('CREATE SCHEMA neighbour');
      await client.query('CREATE TABLE neighbour.secrets (id integer PRIMARY KEY, value text)');
      await client.query("INSERT INTO neighbour.secrets VALUES (1, 'hidden')");
    });
  });
  afterAll(() => database.drop());

  it('follows docs/00010-conventions-sql.md', async () => {
    const violations = await withClient(database.url, (client) => checkSqlConventions(client, '{{schema}}'));
    expect(violations).toEqual([]);
  });

  it('confines the {{name}} login to its own schema', async () => {
    const login = new pg.Client({ connectionString: urlForLogin(database.url, {{camelName}}Login) });
    await login.connect();
    try {
      expect(await checkLoginConfinement(login, '{{schema}}')).toEqual([]);
      await expect(login.query('SELECT value FROM neighbour.secrets')).rejects.toThrow(/permission denied/);
      await expect(login.query('CREATE TABLE {{schema}}.intruder (id integer)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(login.query('SELECT count(*) FROM {{schema}}.outbox_events')).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await login.end();
    }
  });

  it('is migrated by src/migrate.ts from sql/{{name}}/', async () => {
    const target = await createTestDatabase();
    const variables = { DATABASE_ADMIN_URL: target.url, DATABASE_URL: urlForLogin(target.url, {{camelName}}Login) };
    const saved = Object.keys(variables).map((key) => [key, process.env[key]] as const);
    try {
      configureLogging({ service: '{{name}}', level: 'silent' });
      Object.assign(process.env, variables);
      await import('../src/migrate.js');
      expect(process.exitCode).toBe(0);
      const applied = await withClient(target.url, (client) =>
        client.query<{ name: string }>('SELECT name FROM {{schema}}.schema_migrations ORDER BY name'),
      );
      expect(applied.rows.map((row) => row.name)).toContain('{{schema}}/0001_{{schema}}_schema.sql');
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
