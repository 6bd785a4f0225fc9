-- permission: the catalog of permissions, permission sets, assignments, and the local record of
-- identity's tenants. Before this file the runner has created the schema and the service's login
-- (permission_service by default) and applied the common prelude (sql/common/).
-- Words and rules: docs/00010-conventions-permissions.md; tables: docs/00010-conventions-sql.md.
COMMENT ON SCHEMA permission IS
'Data of the permission service; only the migration runner and the service''s own login use it.';

CREATE TYPE permission.resource_type_enum AS ENUM ('tenant', 'conversation', 'file', 'notification', 'user');
COMMENT ON TYPE permission.resource_type_enum IS
'Kinds of resource an assignment or a check can be scoped to (resourceTypes of the contracts).';

-- Permission domains ----------------------------------------------------------------------------
CREATE TABLE permission.permission_domains (
  domain text NOT NULL,
  service text NOT NULL,
  description text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_permission_domains PRIMARY KEY (domain),
  CONSTRAINT ck_permission_domains_domain_length CHECK (char_length(domain) BETWEEN 1 AND 40),
  CONSTRAINT ck_permission_domains_domain_format CHECK (domain ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'),
  CONSTRAINT ck_permission_domains_service_length CHECK (char_length(service) BETWEEN 1 AND 40),
  CONSTRAINT ck_permission_domains_service_format CHECK (service ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'),
  CONSTRAINT ck_permission_domains_description_length CHECK (char_length(description) BETWEEN 1 AND 300)
);
COMMENT ON TABLE permission.permission_domains IS
'natural-key: the domain is the first segment of every permission in it; a surrogate id would add nothing.
A permission domain: the first segment of permissions, declared by exactly one service.';
COMMENT ON COLUMN permission.permission_domains.domain IS 'The domain, lowercase kebab-case (e.g. conversation).';
COMMENT ON COLUMN permission.permission_domains.service IS
'The service that declares the domain, as spelled in the subject grammar (e.g. realtime-edge); kebab-case, hence not an enum.';
COMMENT ON COLUMN permission.permission_domains.description IS 'What the domain covers, for administrators.';

-- Permissions -----------------------------------------------------------------------------------
CREATE TABLE permission.permissions (
  permission text NOT NULL,
  permission_domain_id text NOT NULL,
  service text NOT NULL,
  description text NOT NULL,
  resource_types permission.resource_type_enum[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_permissions PRIMARY KEY (permission),
  CONSTRAINT fk_permissions_permission_domain FOREIGN KEY (permission_domain_id)
    REFERENCES permission.permission_domains (domain),
  CONSTRAINT ck_permissions_permission_length CHECK (char_length(permission) BETWEEN 5 AND 120),
  CONSTRAINT ck_permissions_permission_format CHECK (
    permission ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*:[a-z][a-z0-9]*(-[a-z0-9]+)*:[a-z][a-z0-9]*(-[a-z0-9]+)*$'
  ),
  CONSTRAINT ck_permissions_domain_prefix CHECK (split_part(permission, ':', 1) = permission_domain_id),
  CONSTRAINT ck_permissions_permission_domain_id_length CHECK (char_length(permission_domain_id) BETWEEN 1 AND 40),
  CONSTRAINT ck_permissions_service_length CHECK (char_length(service) BETWEEN 1 AND 40),
  CONSTRAINT ck_permissions_description_length CHECK (char_length(description) BETWEEN 1 AND 300)
);
CREATE INDEX idx_permissions_permission_domain_id ON permission.permissions (permission_domain_id);
COMMENT ON TABLE permission.permissions IS
'natural-key: a permission is its domain:function:action string, which is exactly what every reference names.
One permission of the catalog, as declared by the service that requires it.';
COMMENT ON COLUMN permission.permissions.permission IS 'The permission, domain:function:action.';
COMMENT ON COLUMN permission.permissions.permission_domain_id IS
'The domain (first segment) of the permission: permission_domains.domain.';
COMMENT ON COLUMN permission.permissions.service IS 'The service that declared the permission.';
COMMENT ON COLUMN permission.permissions.description IS 'What the permission allows, for administrators.';
COMMENT ON COLUMN permission.permissions.resource_types IS
'Resource types a requirement or an assignment of this permission may be scoped to; empty: tenant-wide only.';

-- Permission sets -------------------------------------------------------------------------------
CREATE TABLE permission.permission_sets (
  id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  tenant_id uuid NULL,
  name text NOT NULL,
  description text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  CONSTRAINT pk_permission_sets PRIMARY KEY (id),
  CONSTRAINT ck_permission_sets_name_length CHECK (char_length(name) BETWEEN 2 AND 63),
  CONSTRAINT ck_permission_sets_name_format CHECK (name ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'),
  CONSTRAINT ck_permission_sets_description_length CHECK (char_length(description) BETWEEN 1 AND 300),
  CONSTRAINT ck_permission_sets_system_not_deleted CHECK (tenant_id IS NOT NULL OR deleted_at IS NULL)
);
CREATE UNIQUE INDEX uq_permission_sets_tenant_id_name_live ON permission.permission_sets (tenant_id, name)
  WHERE deleted_at IS NULL AND tenant_id IS NOT NULL;
CREATE UNIQUE INDEX uq_permission_sets_name_system ON permission.permission_sets (name)
  WHERE tenant_id IS NULL;
COMMENT ON TABLE permission.permission_sets IS
'A named bundle of permissions: a system permission set (no tenant, defined by migrations) or one defined by a tenant.';
COMMENT ON COLUMN permission.permission_sets.tenant_id IS
'identity.tenants id of the tenant that defined the set; NULL for a system permission set, usable in every tenant.';
COMMENT ON COLUMN permission.permission_sets.name IS
'Lowercase kebab-case; unique among the live sets of a tenant, and among system sets.';
COMMENT ON COLUMN permission.permission_sets.description IS 'What the set is for, for administrators.';

CREATE TABLE permission.permission_set_members (
  permission_set_id uuid NOT NULL,
  permission_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_permission_set_members PRIMARY KEY (permission_set_id, permission_id),
  CONSTRAINT fk_permission_set_members_permission_set FOREIGN KEY (permission_set_id)
    REFERENCES permission.permission_sets (id),
  CONSTRAINT fk_permission_set_members_permission FOREIGN KEY (permission_id)
    REFERENCES permission.permissions (permission),
  CONSTRAINT ck_permission_set_members_permission_id_length CHECK (char_length(permission_id) BETWEEN 5 AND 120)
);
CREATE INDEX idx_permission_set_members_permission_id ON permission.permission_set_members (permission_id);
COMMENT ON TABLE permission.permission_set_members IS
'One permission contained in a permission set. Rows are inserted and deleted, never updated; deletions are kept in the history.';

-- Assignments -----------------------------------------------------------------------------------
CREATE TABLE permission.assignments (
  id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  actor_id uuid NOT NULL,
  permission_id text NULL,
  permission_set_id uuid NULL,
  created_by_id uuid NULL,
  revoked_by_id uuid NULL,
  resource_type permission.resource_type_enum NULL,
  resource_id uuid NULL,
  conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
  starts_at timestamptz NULL,
  expires_at timestamptz NULL,
  revoked_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_assignments PRIMARY KEY (id),
  CONSTRAINT fk_assignments_permission FOREIGN KEY (permission_id) REFERENCES permission.permissions (permission),
  CONSTRAINT fk_assignments_permission_set FOREIGN KEY (permission_set_id) REFERENCES permission.permission_sets (id),
  CONSTRAINT ck_assignments_permission_id_length CHECK (char_length(permission_id) BETWEEN 5 AND 120),
  CONSTRAINT ck_assignments_one_target CHECK ((permission_id IS NULL) <> (permission_set_id IS NULL)),
  CONSTRAINT ck_assignments_resource CHECK ((resource_type IS NULL) = (resource_id IS NULL)),
  CONSTRAINT ck_assignments_validity CHECK (starts_at IS NULL OR expires_at IS NULL OR starts_at < expires_at),
  CONSTRAINT ck_assignments_conditions_object CHECK (jsonb_typeof(conditions) = 'object'),
  CONSTRAINT ck_assignments_conditions_size CHECK (octet_length(conditions::text) <= 1024)
);
-- What every check and every compilation of effective permissions reads.
CREATE INDEX idx_assignments_tenant_id_actor_id_live ON permission.assignments (tenant_id, actor_id)
  WHERE revoked_at IS NULL;
CREATE INDEX idx_assignments_tenant_id_resource_type_resource_id_live
  ON permission.assignments (tenant_id, resource_type, resource_id)
  WHERE revoked_at IS NULL AND resource_id IS NOT NULL;
CREATE INDEX idx_assignments_permission_id ON permission.assignments (permission_id);
CREATE INDEX idx_assignments_permission_set_id ON permission.assignments (permission_set_id);
COMMENT ON TABLE permission.assignments IS
'A permission or a permission set given to an actor within a tenant, optionally scoped to one resource, time-bounded and conditional.';
COMMENT ON COLUMN permission.assignments.actor_id IS 'identity.users id of the actor the assignment is for.';
COMMENT ON COLUMN permission.assignments.permission_id IS
'The permission assigned (permissions.permission); NULL when a permission set is assigned.';
COMMENT ON COLUMN permission.assignments.permission_set_id IS 'The permission set assigned; NULL when a single permission is.';
COMMENT ON COLUMN permission.assignments.created_by_id IS
'identity.users id of the actor who made the assignment; NULL when the service made it itself (bootstrap).';
COMMENT ON COLUMN permission.assignments.revoked_by_id IS
'identity.users id of the actor who revoked the assignment; NULL while live or when the service revoked it.';
COMMENT ON COLUMN permission.assignments.resource_type IS 'Type of the one resource the assignment is scoped to; NULL: tenant-wide.';
COMMENT ON COLUMN permission.assignments.resource_id IS
'Id of that resource in the service owning it (e.g. conversation.conversations id); NULL: tenant-wide.';
COMMENT ON COLUMN permission.assignments.conditions IS
'Conditions that must all hold (timeWindow, ownedByActor), as in the contract''s conditions schema; {} for none.';
COMMENT ON COLUMN permission.assignments.starts_at IS 'validFrom: the assignment counts from then on; NULL: from its creation.';
COMMENT ON COLUMN permission.assignments.expires_at IS 'validUntil: the assignment counts until then (exclusive); NULL: no end.';
COMMENT ON COLUMN permission.assignments.revoked_at IS 'When the assignment was revoked; it counts for nothing afterwards.';

-- Tenants ---------------------------------------------------------------------------------------
CREATE TABLE permission.tenants (
  tenant_id uuid NOT NULL,
  parent_tenant_id uuid NULL,
  slug text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_tenants PRIMARY KEY (tenant_id),
  CONSTRAINT ck_tenants_slug_length CHECK (char_length(slug) BETWEEN 2 AND 63)
);
CREATE UNIQUE INDEX uq_tenants_slug ON permission.tenants (slug);
COMMENT ON TABLE permission.tenants IS
'append-only: written once per identity tenant.created event; identity never changes a slug.
natural-key: the tenant id identity assigned; this service never creates tenants.
The local record of identity''s tenants, used to recognise the platform tenant at bootstrap.';
COMMENT ON COLUMN permission.tenants.parent_tenant_id IS 'identity.tenants id of the parent tenant, as identity reported it.';
COMMENT ON COLUMN permission.tenants.slug IS 'The tenant''s slug in identity (the platform tenant is recognised by it).';

-- Timestamps and history ------------------------------------------------------------------------
CREATE TRIGGER trg_permission_domains_set_updated_at BEFORE UPDATE ON permission.permission_domains
  FOR EACH ROW EXECUTE FUNCTION permission.set_updated_at();
CREATE TRIGGER trg_permissions_set_updated_at BEFORE UPDATE ON permission.permissions
  FOR EACH ROW EXECUTE FUNCTION permission.set_updated_at();
CREATE TRIGGER trg_permission_sets_set_updated_at BEFORE UPDATE ON permission.permission_sets
  FOR EACH ROW EXECUTE FUNCTION permission.set_updated_at();
CREATE TRIGGER trg_permission_set_members_set_updated_at BEFORE UPDATE ON permission.permission_set_members
  FOR EACH ROW EXECUTE FUNCTION permission.set_updated_at();
CREATE TRIGGER trg_assignments_set_updated_at BEFORE UPDATE ON permission.assignments
  FOR EACH ROW EXECUTE FUNCTION permission.set_updated_at();

CREATE TABLE permission.permission_domains_history (
  history_id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE permission.permission_domains,
  CONSTRAINT pk_permission_domains_history PRIMARY KEY (history_id),
  CONSTRAINT ck_permission_domains_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_permission_domains_history_domain ON permission.permission_domains_history (domain);
COMMENT ON TABLE permission.permission_domains_history IS
'append-only: earlier versions of permission_domains rows, written by trg_permission_domains_log_history.';
CREATE TRIGGER trg_permission_domains_log_history AFTER UPDATE OR DELETE ON permission.permission_domains
  FOR EACH ROW EXECUTE FUNCTION permission.log_history();

CREATE TABLE permission.permissions_history (
  history_id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE permission.permissions,
  CONSTRAINT pk_permissions_history PRIMARY KEY (history_id),
  CONSTRAINT ck_permissions_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_permissions_history_permission ON permission.permissions_history (permission);
COMMENT ON TABLE permission.permissions_history IS
'append-only: earlier versions of permissions rows, written by trg_permissions_log_history.';
CREATE TRIGGER trg_permissions_log_history AFTER UPDATE OR DELETE ON permission.permissions
  FOR EACH ROW EXECUTE FUNCTION permission.log_history();

CREATE TABLE permission.permission_sets_history (
  history_id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE permission.permission_sets,
  CONSTRAINT pk_permission_sets_history PRIMARY KEY (history_id),
  CONSTRAINT ck_permission_sets_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_permission_sets_history_id ON permission.permission_sets_history (id);
COMMENT ON TABLE permission.permission_sets_history IS
'append-only: earlier versions of permission_sets rows, written by trg_permission_sets_log_history.';
CREATE TRIGGER trg_permission_sets_log_history AFTER UPDATE OR DELETE ON permission.permission_sets
  FOR EACH ROW EXECUTE FUNCTION permission.log_history();

CREATE TABLE permission.permission_set_members_history (
  history_id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE permission.permission_set_members,
  CONSTRAINT pk_permission_set_members_history PRIMARY KEY (history_id),
  CONSTRAINT ck_permission_set_members_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_permission_set_members_history_permission_set_id
  ON permission.permission_set_members_history (permission_set_id);
COMMENT ON TABLE permission.permission_set_members_history IS
'append-only: permissions removed from permission sets, written by trg_permission_set_members_log_history.';
CREATE TRIGGER trg_permission_set_members_log_history AFTER UPDATE OR DELETE ON permission.permission_set_members
  FOR EACH ROW EXECUTE FUNCTION permission.log_history();

CREATE TABLE permission.assignments_history (
  history_id uuid NOT NULL DEFAULT permission.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE permission.assignments,
  CONSTRAINT pk_assignments_history PRIMARY KEY (history_id),
  CONSTRAINT ck_assignments_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_assignments_history_id ON permission.assignments_history (id);
COMMENT ON TABLE permission.assignments_history IS
'append-only: earlier versions of assignments rows (revocations), written by trg_assignments_log_history.';
CREATE TRIGGER trg_assignments_log_history AFTER UPDATE OR DELETE ON permission.assignments
  FOR EACH ROW EXECUTE FUNCTION permission.log_history();
