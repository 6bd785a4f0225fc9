-- The permissions the system permission sets contain, and the system permission sets themselves.
-- Services register their catalogs at start-up (permission.v1.catalog.register); the entries seeded
-- here match those declarations (contracts/src/*/…permissions.ts), so registering them changes
-- nothing. They are seeded because the system permission sets below refer to them.
--
-- System permission sets have fixed ids, so that every environment, and every service that
-- assigns them (conversation assigns conversation-member …), names them the same way.

INSERT INTO permission.permission_domains (domain, service, description) VALUES
  ('permission', 'permission', 'Permission sets, assignments and the catalog'),
  ('identity', 'identity', 'Tenants, users and sessions'),
  ('conversation', 'conversation', 'Conversations, their participants and messages');

INSERT INTO permission.permissions (permission, permission_domain_id, service, description, resource_types) VALUES
  ('permission:permission:check', 'permission', 'permission', 'Check another actor''s permissions', '{}'),
  ('permission:assignment:create', 'permission', 'permission', 'Assign permissions and permission sets in the tenant', '{}'),
  ('permission:assignment:revoke', 'permission', 'permission', 'Revoke assignments in the tenant', '{}'),
  ('permission:assignment:list', 'permission', 'permission', 'List the assignments of the tenant', '{}'),
  ('permission:permission-set:create', 'permission', 'permission', 'Create permission sets of the tenant', '{}'),
  ('permission:permission-set:update', 'permission', 'permission', 'Change the tenant''s permission sets', '{}'),
  ('permission:permission-set:delete', 'permission', 'permission', 'Delete the tenant''s permission sets', '{}'),
  ('permission:catalog:list', 'permission', 'permission', 'Read the catalog of permissions', '{}'),
  ('permission:tenant-administrator:bootstrap', 'permission', 'permission',
    'Make the first administrator of a tenant (platform operators)', '{}'),
  ('identity:tenant:create', 'identity', 'identity', 'Create tenants (platform operators)', '{}'),
  ('identity:user:create', 'identity', 'identity', 'Register people, bots and service accounts in the tenant', '{}'),
  ('identity:user:update', 'identity', 'identity', 'Change other users'' profiles in the tenant', '{user}'),
  ('identity:user:suspend', 'identity', 'identity', 'Suspend and reactivate users of the tenant', '{user}'),
  ('identity:session:revoke', 'identity', 'identity', 'Revoke other users'' sessions in the tenant', '{user}'),
  ('conversation:message:send', 'conversation', 'conversation', 'Send messages in a conversation', '{conversation}'),
  ('conversation:message:read', 'conversation', 'conversation', 'Read the messages of a conversation', '{conversation}'),
  ('conversation:message:delete-any', 'conversation', 'conversation',
    'Delete any participant''s messages in a conversation', '{conversation}'),
  ('conversation:message:moderate', 'conversation', 'conversation',
    'Hide, flag and restore messages in a conversation', '{conversation}'),
  ('conversation:participant:add', 'conversation', 'conversation', 'Add participants to a conversation', '{conversation}'),
  ('conversation:participant:remove', 'conversation', 'conversation',
    'Remove participants from a conversation', '{conversation}'),
  ('conversation:conversation:update', 'conversation', 'conversation',
    'Change the title and settings of a conversation', '{conversation}');

INSERT INTO permission.permission_sets (id, tenant_id, name, description) VALUES
  ('0190a000-0000-7000-8000-000000000001', NULL, 'platform-operator',
    'Operates the platform: creates tenants and their first administrators, administers the platform tenant'),
  ('0190a000-0000-7000-8000-000000000002', NULL, 'tenant-administrator',
    'Administers one tenant: its users, sessions, permission sets and assignments'),
  ('0190a000-0000-7000-8000-000000000003', NULL, 'conversation-owner',
    'Owns a conversation: everything a conversation administrator may do, and changing the conversation'),
  ('0190a000-0000-7000-8000-000000000004', NULL, 'conversation-administrator',
    'Runs a conversation: manages participants and moderates messages'),
  ('0190a000-0000-7000-8000-000000000005', NULL, 'conversation-member',
    'Takes part in a conversation: reads and sends messages'),
  ('0190a000-0000-7000-8000-000000000006', NULL, 'conversation-guest',
    'Follows a conversation: reads messages');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id)
SELECT '0190a000-0000-7000-8000-000000000001'::uuid, permission
FROM permission.permissions
WHERE permission_domain_id IN ('permission', 'identity');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id)
SELECT '0190a000-0000-7000-8000-000000000002'::uuid, permission
FROM permission.permissions
WHERE permission_domain_id IN ('permission', 'identity')
  AND permission NOT IN ('identity:tenant:create', 'permission:tenant-administrator:bootstrap');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id) VALUES
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:send'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:read'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:delete-any'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:moderate'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:participant:add'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:participant:remove'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:conversation:update'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:send'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:read'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:delete-any'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:moderate'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:participant:add'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:participant:remove'),
  ('0190a000-0000-7000-8000-000000000005', 'conversation:message:send'),
  ('0190a000-0000-7000-8000-000000000005', 'conversation:message:read'),
  ('0190a000-0000-7000-8000-000000000006', 'conversation:message:read');
