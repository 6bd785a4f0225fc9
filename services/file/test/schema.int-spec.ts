import { describeServiceSchema } from '@parley/testing';

describeServiceSchema({
  service: 'file',
  table: 'outbox_events',
  migrateCommand: () => import('../src/migrate.js'),
});
