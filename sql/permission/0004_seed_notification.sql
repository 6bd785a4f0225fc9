-- The notification domain (docs/00010-conventions-permissions.md): creating notifications for others
-- (integrations such as a learning platform's "assignment due"), tenant broadcasts, and system
-- alerts to every tenant (platform operators only).

INSERT INTO permission.permission_domains (domain, service, description) VALUES
  ('notification', 'notification', 'Notifications, broadcasts and alerts');

INSERT INTO permission.permissions (permission, permission_domain_id, service, description, resource_types) VALUES
  ('notification:notification:create', 'notification', 'notification',
    'Create notifications for users of the tenant (integrations)', '{}'),
  ('notification:broadcast:send', 'notification', 'notification',
    'Send a broadcast to every user of the tenant', '{}'),
  ('notification:alert:send', 'notification', 'notification',
    'Send a system alert to users of every tenant (platform operators)', '{}'),
  ('notification:tenant-preference:update', 'notification', 'notification',
    'Set the tenant''s default notification preferences', '{}');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id) VALUES
  ('0190a000-0000-7000-8000-000000000002', 'notification:notification:create'),
  ('0190a000-0000-7000-8000-000000000002', 'notification:broadcast:send'),
  ('0190a000-0000-7000-8000-000000000002', 'notification:tenant-preference:update'),
  ('0190a000-0000-7000-8000-000000000001', 'notification:tenant-preference:update'),
  ('0190a000-0000-7000-8000-000000000001', 'notification:notification:create'),
  ('0190a000-0000-7000-8000-000000000001', 'notification:broadcast:send'),
  ('0190a000-0000-7000-8000-000000000001', 'notification:alert:send');
