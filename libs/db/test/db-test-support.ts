import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { adminDatabaseUrl, withClient } from '@parley/testing';

export const silentLogger = pino({ level: 'silent' });

/** Logins are cluster-wide, so each test file uses its own and drops it at the end. */
export function uniqueLogin(): string {
  return `t_${randomBytes(5).toString('hex')}_service`;
}

/** Drops logins once their test databases are gone (that removed what they had been given). */
export async function dropLogins(...logins: string[]): Promise<void> {
  await withClient(adminDatabaseUrl(), async (client) => {
    for (const login of logins) {
      await client.query(`DROP ROLE IF EXISTS "${login}"`);
    }
  });
}

/** A temporary migration folder holding `files` (name → SQL). */
export async function migrationFolder(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'parley-db-'));
  for (const [name, sql] of Object.entries(files)) {
    await writeFile(join(directory, name), sql);
  }
  return directory;
}

/** A connected client; the caller ends it. */
export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Polls `probe` until `predicate` holds, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value)) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** PostgreSQL's SQLSTATE for an operation the login may not perform. */
export const deniedCode = '42501';
