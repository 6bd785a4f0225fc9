import { loadConfig, migrationVariables } from '@parley/config';
import { migrateCommand, serviceSqlDirectory } from '@parley/db';

const config = loadConfig(migrationVariables);
process.exitCode = await migrateCommand({
  adminUrl: config.DATABASE_ADMIN_URL,
  databaseUrl: config.DATABASE_URL,
  schema: 'notification',
  directory: serviceSqlDirectory('notification'),
});
