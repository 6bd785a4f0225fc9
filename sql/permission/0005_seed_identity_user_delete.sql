-- Deleting a user is its own permission, apart from suspending: a tenant may let someone suspend
-- accounts without letting them delete any.

INSERT INTO permission.permissions (permission, permission_domain_id, service, description, resource_types) VALUES
  ('identity:user:delete', 'identity', 'identity', 'Delete users of the tenant', '{user}');

INSERT INTO permission.permission_set_members (permission_set_id, permission_id) VALUES
  ('0190a000-0000-7000-8000-000000000001', 'identity:user:delete'),
  ('0190a000-0000-7000-8000-000000000002', 'identity:user:delete');
