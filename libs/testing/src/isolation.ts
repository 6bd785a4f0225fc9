import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defaultDatabaseUrl, defaultNatsUrl } from './infrastructure.js';
import { testRun } from './test-run.js';

/** The admin database URL the global setup resolved for this run. */
export function adminDatabaseUrl(): string {
  return process.env['DATABASE_URL'] ?? defaultDatabaseUrl;
}

/** The NATS URL the global setup resolved for this run. */
export function natsUrl(): string {
  return process.env['NATS_URL'] ?? defaultNatsUrl;
}

function suffix(): string {
  const worker = process.env['JEST_WORKER_ID'] ?? '0';
  return `w${worker}${randomBytes(4).toString('hex')}`;
}

/**
 * A NATS namespace of its own for one test (or test file): subjects and stream names are prefixed
 * with it, so parallel workers never receive each other's messages. It starts with the run's id
 * (`t-<run>_`), so the global teardown removes the streams the run left behind.
 */
export function uniqueNamespace(): string {
  return `t-${testRun()}_${suffix()}`;
}

export interface TestDatabase {
  /** Admin URL of the new database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file; `drop()` removes it and any session still on it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parley_test_${suffix()}`;
  const admin = adminDatabaseUrl();
  await withClient(admin, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      await withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** The URL of `databaseUrl` with another login (trust or password auth, as the server is set up). */
export function urlForLogin(databaseUrl: string, login: string, password?: string): string {
  const url = new URL(databaseUrl);
  url.username = login;
  url.password = password ?? '';
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
