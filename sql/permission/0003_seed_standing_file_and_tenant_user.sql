-- What conversations and files need from the permission language (docs/00010-conventions-permissions.md,
-- section 5): the restricted-send permission, the file domain, setting standings, and three more
-- system permission sets.
--
-- tenant-user  every person and bot of a tenant: start conversations, join public groups, store files.
-- file-owner   what an owner may do with its own files; assigned with ownedByActor.
-- platform-service  what a service account of the platform tenant needs to act for the platform in
--              every tenant (today: setting standings in conversations).
-- The permission service assigns tenant-user and file-owner when it records identity's user.created
-- for a person or a bot.

INSERT INTO permission.permission_domains (domain, service, description) VALUES
  ('file', 'file', 'Stored files and their downloads');

INSERT INTO permission.permissions (permission, permission_domain_id, service, description, resource_types) VALUES
  ('conversation:message:send-restricted', 'conversation', 'conversation',
    'Send messages in a restricted group (beside conversation:message:send)', '{conversation}'),
  ('conversation:message:react', 'conversation', 'conversation', 'React to messages in a conversation', '{conversation}'),
  ('conversation:conversation:create', 'conversation', 'conversation',
    'Start direct conversations and create groups in the tenant', '{}'),
  ('conversation:conversation:join', 'conversation', 'conversation', 'Join public groups of the tenant', '{conversation}'),
  ('file:file:create', 'file', 'file', 'Store files in the tenant', '{}'),
  ('file:file:read', 'file', 'file', 'Read a file and its metadata', '{file}'),
  ('file:file:delete', 'file', 'file', 'Delete a file', '{file}'),
  ('permission:standing:set', 'permission', 'permission',
    'Set participants'' standing in conversations of every tenant (platform services)', '{}');

INSERT INTO permission.permission_sets (id, tenant_id, name, description) VALUES
  ('0190a000-0000-7000-8000-000000000007', NULL, 'platform-service',
    'A service of the platform acting for it in every tenant: sets standings in conversations'),
  ('0190a000-0000-7000-8000-000000000008', NULL, 'file-owner',
    'What the owner of a file may do with it; assigned with ownedByActor, so it covers every file the actor owns'),
  ('0190a000-0000-7000-8000-000000000009', NULL, 'tenant-user',
    'What every person and bot of a tenant may do: start conversations, join public groups, store files');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id) VALUES
  -- Owners and administrators of a conversation post in a restricted group; owners, administrators
  -- and members react.
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:send-restricted'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:send-restricted'),
  ('0190a000-0000-7000-8000-000000000003', 'conversation:message:react'),
  ('0190a000-0000-7000-8000-000000000004', 'conversation:message:react'),
  ('0190a000-0000-7000-8000-000000000005', 'conversation:message:react'),
  -- A tenant's administrators read and delete any file of the tenant, and moderate every conversation.
  ('0190a000-0000-7000-8000-000000000002', 'file:file:read'),
  ('0190a000-0000-7000-8000-000000000002', 'file:file:delete'),
  ('0190a000-0000-7000-8000-000000000002', 'conversation:message:delete-any'),
  ('0190a000-0000-7000-8000-000000000002', 'conversation:message:moderate'),
  ('0190a000-0000-7000-8000-000000000007', 'permission:standing:set'),
  ('0190a000-0000-7000-8000-000000000008', 'file:file:read'),
  ('0190a000-0000-7000-8000-000000000008', 'file:file:delete'),
  ('0190a000-0000-7000-8000-000000000009', 'conversation:conversation:create'),
  ('0190a000-0000-7000-8000-000000000009', 'conversation:conversation:join'),
  ('0190a000-0000-7000-8000-000000000009', 'file:file:create');

-- The platform operator holds every permission of the permission and identity domains, the new one included.
INSERT INTO permission.permission_set_members (permission_set_id, permission_id) VALUES
  ('0190a000-0000-7000-8000-000000000001', 'permission:standing:set');
