import type { Logger } from 'pino';
import { createLogger } from '@parley/logging';
import { ParleyError } from '@parley/contracts';
import { serviceSqlDirectory } from './migration-files.js';
import { runMigrations, type MigrationLogin } from './migration-runner.js';

export interface MigrateCommandOptions {
  /** `DATABASE_ADMIN_URL`: the owner/admin login that applies migrations. */
  adminUrl: string;
  /**
   * `DATABASE_URL` of the service: its user name and password are the login to create and
   * confine. Without it (or without a user name) the login is `<schema>_service`.
   */
  databaseUrl?: string;
  schema: string;
  /** `sql/<schema>/` of this repository by default. */
  directory?: string;
  commonDirectory?: string;
  logger?: Logger;
}

/** The service login named by a `DATABASE_URL`, or `<schema>_service`. */
export function loginFromDatabaseUrl(databaseUrl: string | undefined, schema: string): MigrationLogin {
  if (databaseUrl === undefined) {
    return { name: `${schema}_service` };
  }
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new ParleyError('validation_failed', 'DATABASE_URL is not a URL');
  }
  const name = url.username === '' ? `${schema}_service` : decodeURIComponent(url.username);
  return url.password === '' ? { name } : { name, password: decodeURIComponent(url.password) };
}

/**
 * What a service's `src/migrate.ts` calls: applies its migrations, logs what happened and returns
 * the process exit code (0 applied or up to date, 1 failed). Never throws.
 */
export async function migrateCommand(options: MigrateCommandOptions): Promise<number> {
  const logger = (options.logger?.child({ context: 'migrate' }) ?? createLogger('migrate')).child({
    schema: options.schema,
  });
  try {
    const applied = await runMigrations({
      adminUrl: options.adminUrl,
      schema: options.schema,
      login: loginFromDatabaseUrl(options.databaseUrl, options.schema),
      directory: options.directory ?? serviceSqlDirectory(options.schema),
      ...(options.commonDirectory === undefined ? {} : { commonDirectory: options.commonDirectory }),
    });
    for (const migration of applied) {
      logger.info({ migration: migration.name, checksum: migration.checksum }, 'migration applied');
    }
    logger.info(
      { applied: applied.length },
      applied.length === 0 ? 'schema up to date' : 'migrations applied',
    );
    return 0;
  } catch (error) {
    if (error instanceof ParleyError) {
      logger.error({ code: error.code, details: error.details, err: error.cause ?? error }, error.message);
    } else {
      logger.error({ err: error }, 'migration run failed');
    }
    return 1;
  }
}
