import { describeServiceSchema } from '@parley/testing';

describeServiceSchema({
  service: 'conversation',
  table: 'outbox_events',
  migrateCommand: () => import('../src/migrate.js'),
});
