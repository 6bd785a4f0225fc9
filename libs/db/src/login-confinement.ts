import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { checkIdentifier, quoteIdentifier } from './sql-names.js';

export interface ConfinementFinding {
  /** The schema or table concerned. */
  object: string;
  message: string;
}

// PostgreSQL's SQLSTATE for an operation the current login may not perform.
const denied = '42501';
const systemSchemas = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

/**
 * Proves, by trying, that the login of `client` is confined to `schema`: it can read and write
 * the tables of its schema (only read `schema_migrations`), and cannot create anything in any
 * schema nor read or write any table of another schema, nor create logins. Every attempt runs in
 * one transaction that is rolled back, and the writes touch no row (`WHERE false`), so this is
 * safe against a live database. Returns what is wrong; empty when confined.
 */
export async function checkLoginConfinement(
  client: pg.Client | pg.Pool,
  schema: string,
): Promise<ConfinementFinding[]> {
  checkIdentifier('schema', schema);
  if (client instanceof pg.Pool) {
    const session = await client.connect();
    try {
      return await probe(session, schema);
    } finally {
      session.release();
    }
  }
  return probe(client, schema);
}

interface TableRow {
  schema: string;
  name: string;
  first_column: string | null;
}

async function probe(client: pg.ClientBase, schema: string): Promise<ConfinementFinding[]> {
  const findings: ConfinementFinding[] = [];
  const schemas = await client.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_catalog.pg_namespace
     WHERE nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%' ORDER BY nspname`,
  );
  const tables = await client.query<TableRow>(
    `SELECT n.nspname AS schema, c.relname AS name,
       (SELECT a.attname FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity <> 'a'
        ORDER BY a.attnum LIMIT 1) AS first_column
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname NOT LIKE 'pg\\_%'
     ORDER BY n.nspname, c.relname`,
  );
  const attempt = async (sql: string): Promise<'allowed' | 'denied'> => {
    await client.query('SAVEPOINT parley_probe');
    try {
      await client.query(sql);
      return 'allowed';
    } catch (error) {
      // Any other failure (a constraint, a type) means the statement was allowed to run.
      return typeof error === 'object' && error !== null && 'code' in error && error.code === denied
        ? 'denied'
        : 'allowed';
    } finally {
      await client.query('ROLLBACK TO SAVEPOINT parley_probe');
    }
  };

  await client.query('BEGIN');
  try {
    const probeName = `parley_probe_${randomBytes(4).toString('hex')}`;
    for (const { name } of schemas.rows) {
      if (systemSchemas.has(name)) {
        continue;
      }
      if ((await attempt(`CREATE TABLE ${quoteIdentifier(name)}.${probeName} (x integer)`)) === 'allowed') {
        findings.push({ object: name, message: 'the login can create tables here' });
      }
    }
    for (const table of tables.rows) {
      const qualified = `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`;
      const object = `${table.schema}.${table.name}`;
      const own = table.schema === schema;
      const readOnly = own && table.name === 'schema_migrations';
      // A plain column: writing a generated one fails before access is even checked.
      const column = table.first_column === null ? undefined : quoteIdentifier(table.first_column);
      const outcomes: [string, string | undefined][] = [
        ['read', `SELECT 1 FROM ${qualified} LIMIT 0`],
        [
          'insert into',
          column === undefined ? undefined : `INSERT INTO ${qualified} (${column}) SELECT NULL WHERE false`,
        ],
        ['update', column === undefined ? undefined : `UPDATE ${qualified} SET ${column} = NULL WHERE false`],
        ['delete from', `DELETE FROM ${qualified} WHERE false`],
      ];
      for (const [verb, sql] of outcomes) {
        if (sql === undefined) {
          continue;
        }
        const expected = own && (verb === 'read' || !readOnly) ? 'allowed' : 'denied';
        const outcome = await attempt(sql);
        if (outcome !== expected) {
          findings.push({
            object,
            message: outcome === 'allowed' ? `the login can ${verb} it` : `the login cannot ${verb} it`,
          });
        }
      }
    }
    if ((await attempt(`CREATE ROLE ${probeName}`)) === 'allowed') {
      findings.push({ object: 'cluster', message: 'the login can create logins' });
    }
    const attributes = await client.query<{
      usesuper: boolean;
      usecreatedb: boolean;
      userepl: boolean;
      usebypassrls: boolean;
    }>(
      'SELECT usesuper, usecreatedb, userepl, usebypassrls FROM pg_catalog.pg_user WHERE usename = current_user',
    );
    const flags = attributes.rows[0];
    if (flags === undefined || flags.usesuper || flags.usecreatedb || flags.userepl || flags.usebypassrls) {
      findings.push({
        object: 'cluster',
        message: 'the login is a superuser or may create databases, replicate or bypass row security',
      });
    }
  } finally {
    await client.query('ROLLBACK');
  }
  return findings;
}
