import { describeServiceSchema } from '@parley/testing';

describeServiceSchema({
  service: 'notification',
  table: 'outbox_events',
  migrateCommand: () => import('../src/migrate.js'),
});
