import pg from 'pg';
import { Umzug, type UmzugStorage } from 'umzug';
import { ParleyError } from '@parley/contracts';
import {
  commonSqlDirectory,
  readMigrationDirectory,
  renderMigration,
  type MigrationFile,
} from './migration-files.js';
import { checkIdentifier, quoteIdentifier } from './sql-names.js';

export interface MigrationLogin {
  /** The service's login, `<service>_service` by convention. */
  name: string;
  /** Set (or reset) on every run when given; without it the login must authenticate otherwise. */
  password?: string;
}

export interface RunMigrationsOptions {
  /** An owner/admin login: creates the schema, the service login and every object. */
  adminUrl: string;
  schema: string;
  login: MigrationLogin;
  /** The service's `sql/<service>/` folder. */
  directory: string;
  /** The prelude applied before the service's files; `sql/common/` of this repository by default. */
  commonDirectory?: string;
}

export interface AppliedMigration {
  name: string;
  checksum: string;
}

// Advisory lock keys are (namespace, object); the namespace keeps the runner's lock apart from the
// outbox relay's lock on the same schema.
export const migrationLockNamespace = 0x70a7_0001;

/** PostgreSQL error codes a racing runner may meet when another one created the object first. */
const alreadyCreated = new Set(['42P06', '42710', '23505']);

interface RunContext {
  client: pg.Client;
}

/**
 * Applies the common prelude, then the service's migrations, to `schema`, each file in its own
 * transaction, and confines the service login to that schema. Concurrent runners wait for each
 * other; an applied file whose checksum changed (or that disappeared) stops the run before
 * anything is applied. Returns the migrations applied by this call, in order.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<AppliedMigration[]> {
  const schema = checkIdentifier('schema', options.schema);
  const login = checkIdentifier('login', options.login.name);
  const files = [
    ...(await readMigrationDirectory(options.commonDirectory ?? commonSqlDirectory, {
      prefix: 'common',
      allowSchemaToken: true,
    })),
    ...(await readMigrationDirectory(options.directory, { prefix: schema, allowSchemaToken: false })),
  ];

  const client = new pg.Client({ connectionString: options.adminUrl, options: '-c TimeZone=UTC' });
  // A connection that breaks makes the running query fail, which is what we report; without a
  // listener the same event would crash the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_catalog.pg_advisory_lock($1, pg_catalog.hashtext($2))', [
      migrationLockNamespace,
      schema,
    ]);
    try {
      await ensureSchema(client, schema);
      await ensureLogin(client, login, options.login.password);
      await ensureMigrationTable(client, schema);
      await verifyChecksums(client, schema, files);
      // Before: default access is in place for objects the migrations create. After: objects created
      // by another owner are covered too.
      await confineLogin(client, schema, login);
      const applied = await applyPending(client, schema, files);
      await confineLogin(client, schema, login);
      return applied;
    } finally {
      await client.query('SELECT pg_catalog.pg_advisory_unlock($1, pg_catalog.hashtext($2))', [
        migrationLockNamespace,
        schema,
      ]);
    }
  } finally {
    await client.end();
  }
}

async function ignoreAlreadyCreated(statement: () => Promise<unknown>): Promise<void> {
  try {
    await statement();
  } catch (error) {
    if (!alreadyCreated.has(pgCode(error) ?? '')) {
      throw error;
    }
  }
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  await ignoreAlreadyCreated(() => client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`));
}

async function ensureLogin(client: pg.Client, login: string, password: string | undefined): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_catalog.pg_user WHERE usename = $1', [login]);
  if (exists.rowCount === 0) {
    // Logins are cluster-wide: runners of other databases may create the same one at the same time.
    await ignoreAlreadyCreated(() =>
      client.query(
        `CREATE ROLE ${quoteIdentifier(login)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
      ),
    );
  }
  if (password !== undefined) {
    await client.query(`ALTER ROLE ${quoteIdentifier(login)} PASSWORD ${client.escapeLiteral(password)}`);
  }
}

async function ensureMigrationTable(client: pg.Client, schema: string): Promise<void> {
  const table = `${quoteIdentifier(schema)}.schema_migrations`;
  const exists = await client.query<{ present: boolean }>(
    'SELECT pg_catalog.to_regclass($1) IS NOT NULL AS present',
    [table],
  );
  if (exists.rows[0]?.present === true) {
    return;
  }
  await inTransaction(client, async () => {
    await client.query(`
    CREATE TABLE ${table} (
      name text NOT NULL,
      checksum text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT pk_schema_migrations PRIMARY KEY (name),
      CONSTRAINT ck_schema_migrations_name_length CHECK (char_length(name) BETWEEN 1 AND 255),
      CONSTRAINT ck_schema_migrations_checksum_length CHECK (char_length(checksum) = 64)
    );
    COMMENT ON TABLE ${table} IS 'append-only: one row per applied migration file, written by the runner in the file''s transaction.
natural-key: the migration name (common/<file> or <schema>/<file>) is what the runner looks up.
Migration files applied to this schema.';
    COMMENT ON COLUMN ${table}.name IS 'common/<file> for the prelude, <schema>/<file> for the service''s own files.';
    COMMENT ON COLUMN ${table}.checksum IS 'SHA-256 of the file as applied, hex; a changed file is refused.';
  `);
  });
}

async function verifyChecksums(client: pg.Client, schema: string, files: MigrationFile[]): Promise<void> {
  const onDisk = new Map(files.map((file) => [file.name, file]));
  const recorded = await client.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM ${quoteIdentifier(schema)}.schema_migrations ORDER BY name`,
  );
  for (const row of recorded.rows) {
    const file = onDisk.get(row.name);
    if (file === undefined) {
      throw new ParleyError(
        'conflict',
        `Migration ${row.name} was applied to ${schema} but its file is gone`,
        {
          migration: row.name,
        },
      );
    }
    if (file.checksum !== row.checksum) {
      throw new ParleyError(
        'conflict',
        `Migration ${row.name} changed after it was applied to ${schema}: write a new migration instead`,
        {
          migration: row.name,
          applied: row.checksum,
          found: file.checksum,
        },
      );
    }
  }
}

async function applyPending(
  client: pg.Client,
  schema: string,
  files: MigrationFile[],
): Promise<AppliedMigration[]> {
  const table = `${quoteIdentifier(schema)}.schema_migrations`;
  const storage: UmzugStorage<RunContext> = {
    async executed({ context }) {
      const result = await context.client.query<{ name: string }>(`SELECT name FROM ${table}`);
      return result.rows.map((row) => row.name);
    },
    // The row is written by the migration itself, inside its transaction, so that a file and its
    // record commit together; there is nothing left to do here.
    async logMigration() {},
    unlogMigration() {
      return Promise.reject(new ParleyError('internal', 'Parley migrations are forward-only'));
    },
  };
  const umzug = new Umzug<RunContext>({
    context: { client },
    storage,
    logger: undefined,
    migrations: files.map((file) => ({
      name: file.name,
      path: file.path,
      up: async ({ context }) => {
        try {
          await inTransaction(context.client, async () => {
            // Empty search_path: an unqualified name in a migration fails instead of landing elsewhere.
            await context.client.query(`SET LOCAL search_path TO ''`);
            await context.client.query(renderMigration(file, schema));
            await context.client.query(`INSERT INTO ${table} (name, checksum) VALUES ($1, $2)`, [
              file.name,
              file.checksum,
            ]);
          });
        } catch (error) {
          const failure = new ParleyError(
            'internal',
            `Migration ${file.name} failed on ${schema}: ${describe(error)}`,
            {
              migration: file.name,
              schema,
            },
          );
          failure.cause = error;
          throw failure;
        }
      },
    })),
  });
  try {
    const applied = new Set((await umzug.up()).map((meta) => meta.name));
    return files.filter((file) => applied.has(file.name)).map(({ name, checksum }) => ({ name, checksum }));
  } catch (error) {
    // Umzug wraps what a migration threw; ours is the useful one.
    throw error instanceof Error && error.cause instanceof ParleyError ? error.cause : error;
  }
}

async function inTransaction(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    // The first error is the one to report; a failing ROLLBACK means the connection is gone anyway.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The service login may use its schema and do DML on its tables, and nothing more: PUBLIC loses
 * the schema, the login gets only what it needs (now and, by default, for future objects), and
 * its sessions start in its schema and in UTC.
 */
async function confineLogin(client: pg.Client, schema: string, login: string): Promise<void> {
  const s = quoteIdentifier(schema);
  const l = quoteIdentifier(login);
  await inTransaction(client, async () => {
    await client.query(`
      REVOKE ALL ON SCHEMA ${s} FROM PUBLIC;
      REVOKE CREATE ON SCHEMA ${s} FROM ${l};
      GRANT USAGE ON SCHEMA ${s} TO ${l};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${l};
      REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${s}.schema_migrations FROM ${l};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${l};
      REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${s} FROM PUBLIC;
      GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${l};
      ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${l};
      ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${l};
      ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT EXECUTE ON FUNCTIONS TO ${l};
    `);
    // PostgreSQL 15 already denies CREATE in public to PUBLIC; older servers did not.
    const publicSchema = await client.query(`SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'public'`);
    if (publicSchema.rowCount !== 0) {
      await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    }
  });
  await configureLogin(client, schema, login);
}

/**
 * Login settings are cluster-wide rows: they are written only when they differ, and a runner of
 * another database writing the same row at the same moment makes this one look again.
 */
async function configureLogin(client: pg.Client, schema: string, login: string, attempt = 1): Promise<void> {
  const settings = await client.query<{ config: string[] | null }>(
    'SELECT useconfig AS config FROM pg_catalog.pg_user WHERE usename = $1',
    [login],
  );
  const current = new Set(settings.rows[0]?.config ?? []);
  try {
    if (!current.has(`search_path=${schema}`)) {
      await client.query(`ALTER ROLE ${quoteIdentifier(login)} SET search_path = ${quoteIdentifier(schema)}`);
    }
    if (!current.has('TimeZone=UTC')) {
      await client.query(`ALTER ROLE ${quoteIdentifier(login)} SET TimeZone = 'UTC'`);
    }
  } catch (error) {
    // 23505: both inserted the row; XX000: "tuple concurrently updated".
    if (attempt < 3 && ['23505', 'XX000'].includes(pgCode(error) ?? '')) {
      await configureLogin(client, schema, login, attempt + 1);
      return;
    }
    throw error;
  }
}
