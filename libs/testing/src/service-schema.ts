import { readdirSync } from 'node:fs';
import pg from 'pg';
import { checkLoginConfinement, checkSqlConventions, runMigrations, serviceSqlDirectory } from '@parley/db';
import { configureLogging } from '@parley/logging';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from './isolation.js';

export interface ServiceSchemaOptions {
  /** The service, e.g. `conversation`: its schema and login are `<name>` and `<name>_service` with `_` for `-`. */
  service: string;
  /** A table of the schema the login reads (`SELECT count(*)` must work). */
  table: string;
  /** Runs the service's own migration command, `src/migrate.ts`: `() => import('../src/migrate.js')`. */
  migrateCommand: () => Promise<unknown>;
  /** More tests on the migrated database, in the same describe block. */
  more?: (database: () => TestDatabase) => void;
}

const schemaOf = (service: string): string => service.replace(/-/g, '_');

/** A fresh database with the service's schema migrated from sql/<service>/; `drop()` removes it. */
export async function migratedServiceDatabase(service: string): Promise<TestDatabase> {
  const schema = schemaOf(service);
  const database = await createTestDatabase();
  try {
    await runMigrations({
      adminUrl: database.url,
      schema,
      login: { name: `${schema}_service` },
      directory: serviceSqlDirectory(service),
    });
    return database;
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/**
 * What every service's schema test proves: the migrated schema follows
 * docs/00010-conventions-sql.md, the service's login reaches its own schema and nothing else, and
 * the service's migration command applies sql/<schema>/.
 */
export function describeServiceSchema(options: ServiceSchemaOptions): void {
  const { service, table } = options;
  const schema = schemaOf(service);
  const login = `${schema}_service`;

  describe(`${schema} schema`, () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await migratedServiceDatabase(service);
      // A neighbour the login must not reach.
      await withClient(database.url, async (client) => {
        await client.query('CREATE SCHEMA neighbour');
        await client.query('CREATE TABLE neighbour.secrets (id integer PRIMARY KEY, value text)');
        await client.query("INSERT INTO neighbour.secrets VALUES (1, 'hidden')");
      });
    });
    afterAll(() => database.drop());

    it('follows docs/00010-conventions-sql.md', async () => {
      const violations = await withClient(database.url, (client) => checkSqlConventions(client, schema));
      expect(violations).toEqual([]);
    });

    it(`confines the ${schema} login to its own schema`, async () => {
      const client = new pg.Client({ connectionString: urlForLogin(database.url, login) });
      await client.connect();
      try {
        expect(await checkLoginConfinement(client, schema)).toEqual([]);
        await expect(client.query('SELECT value FROM neighbour.secrets')).rejects.toThrow(
          /permission denied/,
        );
        await expect(client.query(`CREATE TABLE ${schema}.intruder (id integer)`)).rejects.toThrow(
          /permission denied/,
        );
        await expect(client.query(`SELECT count(*) FROM ${schema}.${table}`)).resolves.toMatchObject({
          rowCount: 1,
        });
      } finally {
        await client.end();
      }
    });

    it(`is migrated by its migration command from sql/${service}/`, async () => {
      const target = await createTestDatabase();
      const variables = { DATABASE_ADMIN_URL: target.url, DATABASE_URL: urlForLogin(target.url, login) };
      const saved = Object.keys(variables).map((key) => [key, process.env[key]] as const);
      try {
        configureLogging({ service, level: 'silent' });
        Object.assign(process.env, variables);
        await options.migrateCommand();
        expect(process.exitCode).toBe(0);
        const applied = await withClient(target.url, (client) =>
          client.query<{ name: string }>(`SELECT name FROM ${schema}.schema_migrations ORDER BY name`),
        );
        const files = readdirSync(serviceSqlDirectory(service)).filter((file) => file.endsWith('.sql'));
        expect(files.length).toBeGreaterThan(0);
        expect(applied.rows.map((row) => row.name)).toEqual(
          expect.arrayContaining(files.map((file) => `${service}/${file}`)),
        );
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

    options.more?.(() => database);
  });
}
