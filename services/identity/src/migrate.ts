import { commonVariables, defineConfig, loadConfig } from '@parley/config';
import { migrateCommand } from '@parley/db';

// Migrations need the admin login; the service's own DATABASE_URL names the login to confine.
const config = loadConfig(
  defineConfig({
    DATABASE_ADMIN_URL: { ...commonVariables.DATABASE_ADMIN_URL, optional: false },
    DATABASE_URL: { ...commonVariables.DATABASE_URL, optional: true },
  }),
);
process.exitCode = await migrateCommand({
  adminUrl: config.DATABASE_ADMIN_URL as string,
  databaseUrl: config.DATABASE_URL as string | undefined,
  schema: 'identity',
});
