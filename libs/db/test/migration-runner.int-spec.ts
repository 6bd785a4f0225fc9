import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { ParleyError } from '@parley/contracts';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from '@parley/testing';
import {
  checkLoginConfinement,
  checkSqlConventions,
  commonSqlDirectory,
  loginFromDatabaseUrl,
  migrateCommand,
  runMigrations,
} from '../src/index.js';
import {
  connect,
  deniedCode,
  dropLogins,
  migrationFolder,
  silentLogger,
  uniqueLogin,
} from './db-test-support.js';

const commonNames = [
  'common/0001_require_utc.sql',
  'common/0002_functions.sql',
  'common/0003_outbox_events.sql',
  'common/0004_processed_messages.sql',
];

const gadgets = `
CREATE TABLE app.gadgets (
  id uuid NOT NULL DEFAULT app.uuid_generate_v7(),
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_gadgets PRIMARY KEY (id),
  CONSTRAINT ck_gadgets_label_length CHECK (char_length(label) BETWEEN 1 AND 50)
);
CREATE TRIGGER trg_gadgets_set_updated_at BEFORE UPDATE ON app.gadgets
  FOR EACH ROW EXECUTE FUNCTION app.set_updated_at();
CREATE TABLE app.gadgets_history (
  history_id uuid NOT NULL DEFAULT app.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE app.gadgets,
  CONSTRAINT pk_gadgets_history PRIMARY KEY (history_id),
  CONSTRAINT ck_gadgets_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE TRIGGER trg_gadgets_log_history AFTER UPDATE OR DELETE ON app.gadgets
  FOR EACH ROW EXECUTE FUNCTION app.log_history();
COMMENT ON TABLE app.gadgets IS 'A gadget.';
COMMENT ON COLUMN app.gadgets.label IS 'What the gadget is called.';
COMMENT ON TABLE app.gadgets_history IS 'append-only: earlier versions of gadgets.';
`;

describe('runMigrations', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  const login = uniqueLogin();
  const otherLogin = uniqueLogin();
  const sharedLogin = uniqueLogin();

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await connect(database.url);
  });

  afterAll(async () => {
    await admin.end();
    await database.drop();
    await dropLogins(login, otherLogin, sharedLogin);
  });

  it('applies the prelude then the service files in order, each recorded with its checksum', async () => {
    const directory = await migrationFolder({
      '0002_add_colour.sql': `ALTER TABLE app.gadgets ADD COLUMN colour text;
        ALTER TABLE app.gadgets_history ADD COLUMN colour text;
        ALTER TABLE app.gadgets ADD CONSTRAINT ck_gadgets_colour_length CHECK (char_length(colour) <= 20);
        COMMENT ON COLUMN app.gadgets.colour IS 'Paint.';`,
      '0001_create_gadgets.sql': gadgets,
      'README.md': 'Notes are allowed beside migrations.',
    });
    const applied = await runMigrations({
      adminUrl: database.url,
      schema: 'app',
      login: { name: login },
      directory,
    });

    expect(applied.map((migration) => migration.name)).toEqual([
      ...commonNames,
      'app/0001_create_gadgets.sql',
      'app/0002_add_colour.sql',
    ]);
    for (const migration of applied) {
      expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
    const recorded = await admin.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM app.schema_migrations ORDER BY name',
    );
    expect(recorded.rows).toEqual([...applied].sort((a, b) => (a.name < b.name ? -1 : 1)));
    const columns = await admin.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'app' AND table_name = 'gadgets' ORDER BY ordinal_position`,
    );
    expect(columns.rows.map((row) => row.column_name)).toEqual([
      'id',
      'label',
      'created_at',
      'updated_at',
      'colour',
    ]);
    // The runner's own table and the prelude follow the conventions they enforce.
    expect(await checkSqlConventions(admin, 'app')).toEqual([]);
  });

  it('is idempotent: a second run applies nothing and changes nothing', async () => {
    const directory = await migrationFolder({ '0001_create_gadgets.sql': gadgets });
    await runMigrations({
      adminUrl: database.url,
      schema: 'again',
      login: { name: login },
      directory: await sameAs(directory, 'again'),
    });
    const before = await admin.query(
      'SELECT name, checksum, created_at FROM again.schema_migrations ORDER BY name',
    );
    const second = await runMigrations({
      adminUrl: database.url,
      schema: 'again',
      login: { name: login },
      directory: await sameAs(directory, 'again'),
    });
    expect(second).toEqual([]);
    const after = await admin.query(
      'SELECT name, checksum, created_at FROM again.schema_migrations ORDER BY name',
    );
    expect(after.rows).toEqual(before.rows);
  });

  it('applies only the files added since the last run', async () => {
    const directory = await migrationFolder({ '0001_create_gadgets.sql': forSchema(gadgets, 'later') });
    await runMigrations({ adminUrl: database.url, schema: 'later', login: { name: login }, directory });
    await writeFile(
      join(directory, '0002_more.sql'),
      'CREATE INDEX idx_gadgets_label ON later.gadgets (label);',
    );
    const applied = await runMigrations({
      adminUrl: database.url,
      schema: 'later',
      login: { name: login },
      directory,
    });
    expect(applied.map((migration) => migration.name)).toEqual(['later/0002_more.sql']);
  });

  it('refuses to run when an applied migration was edited, before applying anything new', async () => {
    const directory = await migrationFolder({ '0001_create_gadgets.sql': forSchema(gadgets, 'edited') });
    await runMigrations({ adminUrl: database.url, schema: 'edited', login: { name: login }, directory });
    await appendFile(join(directory, '0001_create_gadgets.sql'), '\n-- a harmless looking edit\n');
    await writeFile(join(directory, '0002_new.sql'), 'CREATE TABLE edited.never_created (id uuid);');

    const failure = await runMigrations({
      adminUrl: database.url,
      schema: 'edited',
      login: { name: login },
      directory,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ParleyError);
    expect(failure).toMatchObject({
      code: 'conflict',
      details: { migration: 'edited/0001_create_gadgets.sql' },
    });
    const created = await admin.query(`SELECT to_regclass('edited.never_created') AS present`);
    expect(created.rows[0]).toEqual({ present: null });
  });

  it('refuses to run when an applied migration disappeared', async () => {
    const directory = await migrationFolder({ '0001_create_gadgets.sql': forSchema(gadgets, 'vanished') });
    await runMigrations({ adminUrl: database.url, schema: 'vanished', login: { name: login }, directory });
    await rm(join(directory, '0001_create_gadgets.sql'));
    await expect(
      runMigrations({ adminUrl: database.url, schema: 'vanished', login: { name: login }, directory }),
    ).rejects.toMatchObject({
      code: 'conflict',
      details: { migration: 'vanished/0001_create_gadgets.sql' },
    });
  });

  it('rolls a failing file back entirely, records nothing for it and keeps the files before it', async () => {
    const directory = await migrationFolder({
      '0001_create_gadgets.sql': forSchema(gadgets, 'broken'),
      '0002_half.sql': 'CREATE TABLE broken.halves (id uuid); SELECT no_such_column FROM broken.gadgets;',
      '0003_after.sql': 'CREATE TABLE broken.afters (id uuid);',
    });
    const failure = await runMigrations({
      adminUrl: database.url,
      schema: 'broken',
      login: { name: login },
      directory,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ParleyError);
    expect(failure).toMatchObject({
      code: 'internal',
      details: { migration: 'broken/0002_half.sql', schema: 'broken' },
    });
    expect((failure as Error).message).toMatch(/no_such_column/);
    const tables = await admin.query(
      `SELECT to_regclass('broken.halves') AS halves, to_regclass('broken.afters') AS afters`,
    );
    expect(tables.rows[0]).toEqual({ halves: null, afters: null });
    const recorded = await admin.query<{ name: string }>(
      'SELECT name FROM broken.schema_migrations ORDER BY name',
    );
    expect(recorded.rows.map((row) => row.name)).toEqual(['broken/0001_create_gadgets.sql', ...commonNames]);
  });

  it('runs files with an empty search_path, so an unqualified name fails', async () => {
    const directory = await migrationFolder({ '0001_unqualified.sql': 'CREATE TABLE widgets (id uuid);' });
    await expect(
      runMigrations({ adminUrl: database.url, schema: 'unqualified', login: { name: login }, directory }),
    ).rejects.toThrow(/no schema has been selected/);
  });

  it('serializes concurrent runners: every file is applied exactly once', async () => {
    const directory = await migrationFolder({
      '0001_create_gadgets.sql': forSchema(gadgets, 'raced'),
      '0002_slow.sql': 'SELECT pg_sleep(0.2); CREATE INDEX idx_gadgets_label ON raced.gadgets (label);',
    });
    const runs = await Promise.all(
      [1, 2, 3].map(() =>
        runMigrations({ adminUrl: database.url, schema: 'raced', login: { name: login }, directory }),
      ),
    );
    const names = runs.flat().map((migration) => migration.name);
    expect(names).toEqual([...commonNames, 'raced/0001_create_gadgets.sql', 'raced/0002_slow.sql']);
    expect(runs.filter((run) => run.length === 0)).toHaveLength(2);
  });

  it('creates a login shared by runners of two databases racing each other', async () => {
    const second = await createTestDatabase();
    try {
      const directory = await migrationFolder({ '0001_create_gadgets.sql': forSchema(gadgets, 'twin') });
      const runs = await Promise.all(
        [database.url, second.url].map((adminUrl) =>
          runMigrations({ adminUrl, schema: 'twin', login: { name: sharedLogin }, directory }),
        ),
      );
      expect(runs.map((run) => run.length)).toEqual([5, 5]);
    } finally {
      await second.drop();
    }
  });

  describe('the service login', () => {
    let service: pg.Client;

    beforeAll(async () => {
      const directory = await migrationFolder({ '0001_create_gadgets.sql': forSchema(gadgets, 'confined') });
      await runMigrations({
        adminUrl: database.url,
        schema: 'confined',
        login: { name: otherLogin },
        directory,
      });
      // Somebody else's schema and a table in public, both with data.
      await admin.query(`
        CREATE SCHEMA elsewhere;
        CREATE TABLE elsewhere.secrets (id integer PRIMARY KEY, value text);
        INSERT INTO elsewhere.secrets VALUES (1, 'x');
        CREATE TABLE public.loose (id integer PRIMARY KEY);
        INSERT INTO public.loose VALUES (1);
      `);
      service = await connect(urlForLogin(database.url, otherLogin));
    });

    afterAll(async () => {
      await service.end();
    });

    it('reads and writes the tables of its schema, found through its search_path, in UTC', async () => {
      const settings = await service.query<{ search_path: string; timezone: string }>(
        `SELECT current_setting('search_path') AS search_path, current_setting('TimeZone') AS timezone`,
      );
      expect(settings.rows[0]).toEqual({ search_path: 'confined', timezone: 'UTC' });
      const inserted = await service.query<{ id: string }>(
        `INSERT INTO gadgets (label) VALUES ('one') RETURNING id`,
      );
      const id = inserted.rows[0]?.id;
      await service.query(`UPDATE gadgets SET label = 'two' WHERE id = $1`, [id]);
      await service.query('DELETE FROM gadgets WHERE id = $1', [id]);
      const history = await service.query<{ history_operation: string; label: string }>(
        'SELECT history_operation, label FROM gadgets_history WHERE id = $1 ORDER BY history_id',
        [id],
      );
      expect(history.rows).toEqual([
        { history_operation: 'UPDATE', label: 'one' },
        { history_operation: 'DELETE', label: 'two' },
      ]);
      const migrations = await service.query('SELECT count(*)::int AS count FROM schema_migrations');
      expect(migrations.rows[0]).toEqual({ count: 5 });
    });

    it.each([
      ['create a table in its own schema', 'CREATE TABLE confined.extra (id uuid)'],
      [
        'create a function in its own schema',
        'CREATE FUNCTION confined.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
      ],
      ['alter its tables', 'ALTER TABLE confined.gadgets ADD COLUMN x int'],
      ['write the migration records', `DELETE FROM confined.schema_migrations`],
      ['read another schema', 'SELECT * FROM elsewhere.secrets'],
      ['write another schema', `INSERT INTO elsewhere.secrets VALUES (2, 'y')`],
      ['create in another schema', 'CREATE TABLE elsewhere.mine (id int)'],
      ['read the public schema', 'SELECT * FROM public.loose'],
      ['write the public schema', 'INSERT INTO public.loose VALUES (2)'],
      ['create in the public schema', 'CREATE TABLE public.mine (id int)'],
    ])('cannot %s', async (_what, sql) => {
      await expect(service.query(sql)).rejects.toMatchObject({ code: deniedCode });
    });

    it('passes checkLoginConfinement, which fails once the login can reach further', async () => {
      expect(await checkLoginConfinement(service, 'confined')).toEqual([]);
      const pool = new pg.Pool({ connectionString: urlForLogin(database.url, otherLogin), max: 1 });
      try {
        expect(await checkLoginConfinement(pool, 'confined')).toEqual([]);
      } finally {
        await pool.end();
      }
      await admin.query(
        `GRANT USAGE ON SCHEMA elsewhere TO "${otherLogin}"; GRANT SELECT ON elsewhere.secrets TO "${otherLogin}"`,
      );
      try {
        expect(await checkLoginConfinement(service, 'confined')).toEqual([
          { object: 'elsewhere.secrets', message: 'the login can read it' },
        ]);
      } finally {
        await admin.query(
          `REVOKE ALL ON SCHEMA elsewhere FROM "${otherLogin}"; REVOKE ALL ON elsewhere.secrets FROM "${otherLogin}"`,
        );
      }
      await admin.query(
        `REVOKE DELETE ON confined.gadgets FROM "${otherLogin}"; GRANT CREATE ON SCHEMA confined TO "${otherLogin}"`,
      );
      try {
        expect(await checkLoginConfinement(service, 'confined')).toEqual([
          { object: 'confined', message: 'the login can create tables here' },
          { object: 'confined.gadgets', message: 'the login cannot delete from it' },
        ]);
      } finally {
        await admin.query(
          `GRANT DELETE ON confined.gadgets TO "${otherLogin}"; REVOKE CREATE ON SCHEMA confined FROM "${otherLogin}"`,
        );
      }
    });

    it('is reported by checkLoginConfinement when it is an admin', async () => {
      const findings = await checkLoginConfinement(admin, 'confined');
      expect(findings).toContainEqual({ object: 'elsewhere.secrets', message: 'the login can read it' });
      expect(findings).toContainEqual({ object: 'cluster', message: 'the login can create logins' });
      expect(findings).toContainEqual({
        object: 'confined.schema_migrations',
        message: 'the login can insert into it',
      });
    });
  });

  it('sets the password of the login when one is given', async () => {
    const directory = await migrationFolder({});
    await runMigrations({
      adminUrl: database.url,
      schema: 'secured',
      login: { name: login, password: "it's secret" },
      directory,
    });
    const stored = await admin.query<{ has_password: boolean }>(
      'SELECT passwd IS NOT NULL AS has_password FROM pg_shadow WHERE usename = $1',
      [login],
    );
    expect(stored.rows[0]).toEqual({ has_password: true });
  });

  it('refuses a schema or login name it would have to quote', async () => {
    const directory = await migrationFolder({});
    await expect(
      runMigrations({ adminUrl: database.url, schema: 'Bad"Name', login: { name: login }, directory }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      runMigrations({ adminUrl: database.url, schema: 'fine', login: { name: 'x; DROP' }, directory }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('refuses a session that is not in UTC in the first prelude file', async () => {
    const sql = (await readFile(join(commonSqlDirectory, '0001_require_utc.sql'), 'utf8')).replaceAll(
      '{{schema}}',
      'app',
    );
    await withClient(database.url, async (client) => {
      await client.query(`SET TimeZone = 'Europe/Paris'`);
      await expect(client.query(sql)).rejects.toThrow(/need the session time zone UTC, got Europe\/Paris/);
      await client.query(`SET TimeZone = 'Etc/UTC'`);
      await client.query(sql);
    });
  });

  it('generates version 7 ids that grow strictly within a session and carry the current time', async () => {
    const result = await admin.query<{ id: string; now_ms: string }>(
      `SELECT app.uuid_generate_v7()::text AS id, (extract(epoch FROM clock_timestamp()) * 1000)::bigint::text AS now_ms
       FROM generate_series(1, 2000)`,
    );
    const ids = result.rows.map((row) => row.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 5)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    const first = result.rows[0];
    const millis = Number.parseInt((first?.id ?? '').replace(/-/g, '').slice(0, 12), 16);
    expect(Math.abs(millis - Number(first?.now_ms))).toBeLessThan(1000);
  });
});

describe('migrateCommand', () => {
  let database: TestDatabase;
  const login = uniqueLogin();

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
    await dropLogins(login);
  });

  it('applies the migrations for the login named by DATABASE_URL and returns 0', async () => {
    const directory = await migrationFolder({ '0001_create_gadgets.sql': gadgets });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const code = await migrateCommand({
      adminUrl: database.url,
      databaseUrl: urlForLogin(database.url, login),
      schema: 'app',
      directory,
      logger,
    });
    expect(code).toBe(0);
    const logged = lines.map(
      (line) => JSON.parse(line) as { msg: string; migration?: string; context: string; schema: string },
    );
    expect(logged.at(-1)).toMatchObject({ msg: 'migrations applied', context: 'migrate', schema: 'app' });
    expect(logged.filter((line) => line.msg === 'migration applied').map((line) => line.migration)).toEqual([
      ...commonNames,
      'app/0001_create_gadgets.sql',
    ]);
    const service = await connect(urlForLogin(database.url, login));
    try {
      await expect(service.query('SELECT count(*) FROM gadgets')).resolves.toBeDefined();
    } finally {
      await service.end();
    }
    expect(
      await migrateCommand({
        adminUrl: database.url,
        databaseUrl: urlForLogin(database.url, login),
        schema: 'app',
        directory,
        logger: silentLogger,
      }),
    ).toBe(0);
  });

  it('returns 1 instead of throwing when the run fails', async () => {
    const directory = await migrationFolder({ 'not-a-migration.txt': '' });
    expect(
      await migrateCommand({ adminUrl: database.url, schema: 'app', directory, logger: silentLogger }),
    ).toBe(1);
    const url = new URL(database.url);
    url.pathname = '/parley_no_such_database';
    expect(
      await migrateCommand({
        adminUrl: url.toString(),
        schema: 'app',
        directory: await migrationFolder({}),
        logger: silentLogger,
      }),
    ).toBe(1);
  });

  it('derives the login from DATABASE_URL, or falls back to <schema>_service', () => {
    expect(loginFromDatabaseUrl(undefined, 'identity')).toEqual({ name: 'identity_service' });
    expect(loginFromDatabaseUrl('postgres://127.0.0.1/db', 'identity')).toEqual({ name: 'identity_service' });
    expect(loginFromDatabaseUrl('postgres://svc:p%40ss@127.0.0.1/db', 'identity')).toEqual({
      name: 'svc',
      password: 'p@ss',
    });
    expect(() => loginFromDatabaseUrl('not a url', 'identity')).toThrow(ParleyError);
  });
});

function forSchema(sql: string, schema: string): string {
  return sql.replaceAll('app.', `${schema}.`);
}

/** A folder with the files of `directory` rewritten for `schema`. */
async function sameAs(directory: string, schema: string): Promise<string> {
  const sql = await readFile(join(directory, '0001_create_gadgets.sql'), 'utf8');
  return migrationFolder({ '0001_create_gadgets.sql': forSchema(sql, schema) });
}
