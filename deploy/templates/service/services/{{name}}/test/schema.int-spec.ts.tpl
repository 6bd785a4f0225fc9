import { describeServiceSchema } from '@parley/testing';

describeServiceSchema({
  service: '{{name}}',
  table: 'outbox_events',
  migrateCommand: () => import('../src/migrate.js'),
});
