-- Identity: tenants (institutions), users, credentials, sessions, refresh tokens, signing keys.

CREATE TYPE identity.tenant_status_enum AS ENUM ('active', 'suspended');
CREATE TYPE identity.user_kind_enum AS ENUM ('person', 'bot', 'service');
CREATE TYPE identity.user_status_enum AS ENUM ('active', 'suspended', 'deleted');
CREATE TYPE identity.session_revocation_reason_enum AS ENUM ('logout', 'reuse_detected', 'revoked', 'user_suspended');
COMMENT ON TYPE identity.tenant_status_enum IS 'Whether a tenant is in use; a suspended tenant admits no logins.';
COMMENT ON TYPE identity.user_kind_enum IS 'A person, a bot, or a service account of another system.';
COMMENT ON TYPE identity.user_status_enum IS 'Whether a user may log in.';
COMMENT ON TYPE identity.session_revocation_reason_enum IS 'Why a session ended before it expired.';

-- Tenants ---------------------------------------------------------------------------------------
CREATE TABLE identity.tenants (
  -- ID fields
  id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  parent_tenant_id uuid NULL,
  -- Fields
  slug text NOT NULL,
  name text NOT NULL,
  status identity.tenant_status_enum NOT NULL DEFAULT 'active',
  allows_self_registration boolean NOT NULL DEFAULT false,
  -- Timestamps
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_tenants PRIMARY KEY (id),
  CONSTRAINT fk_tenants_parent_tenant FOREIGN KEY (parent_tenant_id) REFERENCES identity.tenants (id),
  CONSTRAINT uq_tenants_slug UNIQUE (slug),
  CONSTRAINT ck_tenants_slug_length CHECK (char_length(slug) BETWEEN 2 AND 63),
  CONSTRAINT ck_tenants_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
  CONSTRAINT ck_tenants_not_own_parent CHECK (parent_tenant_id IS NULL OR parent_tenant_id <> id)
);
CREATE INDEX idx_tenants_parent_tenant_id ON identity.tenants (parent_tenant_id);
COMMENT ON TABLE identity.tenants IS 'Institutions (schools, communities); a tenant may sit below a parent tenant.';
COMMENT ON COLUMN identity.tenants.slug IS 'Stable URL-safe name used at login.';
COMMENT ON COLUMN identity.tenants.name IS 'Display name of the institution.';
COMMENT ON COLUMN identity.tenants.status IS 'Suspended tenants admit no logins.';
COMMENT ON COLUMN identity.tenants.allows_self_registration IS 'Whether people may register themselves in this tenant.';

-- Users -----------------------------------------------------------------------------------------
CREATE TABLE identity.users (
  -- ID fields
  id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  -- Fields
  kind identity.user_kind_enum NOT NULL DEFAULT 'person',
  email text NOT NULL,
  full_name text NOT NULL,
  designation text NULL,
  status identity.user_status_enum NOT NULL DEFAULT 'active',
  -- Timestamps
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz NULL,
  CONSTRAINT pk_users PRIMARY KEY (id),
  CONSTRAINT fk_users_tenant FOREIGN KEY (tenant_id) REFERENCES identity.tenants (id),
  CONSTRAINT ck_users_email_length CHECK (char_length(email) BETWEEN 3 AND 254),
  CONSTRAINT ck_users_email_lowercase CHECK (email = lower(email)),
  CONSTRAINT ck_users_full_name_length CHECK (char_length(full_name) BETWEEN 1 AND 200),
  CONSTRAINT ck_users_designation_length CHECK (char_length(designation) BETWEEN 1 AND 120)
);
CREATE UNIQUE INDEX uq_users_tenant_id_email_live ON identity.users (tenant_id, email) WHERE deleted_at IS NULL;
CREATE INDEX idx_users_tenant_id_full_name ON identity.users (tenant_id, lower(full_name), id) WHERE deleted_at IS NULL;
COMMENT ON TABLE identity.users IS 'People, bots and service accounts of a tenant.';
COMMENT ON COLUMN identity.users.email IS 'Lowercased; unique among the live users of the tenant.';
COMMENT ON COLUMN identity.users.kind IS 'Person, bot or service account.';
COMMENT ON COLUMN identity.users.full_name IS 'Name shown to other users.';
COMMENT ON COLUMN identity.users.status IS 'Only active users may log in.';
COMMENT ON COLUMN identity.users.designation IS 'Title or function shown next to the name (e.g. teacher).';

-- Credentials -----------------------------------------------------------------------------------
CREATE TABLE identity.credentials (
  user_id uuid NOT NULL,
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_credentials PRIMARY KEY (user_id),
  CONSTRAINT fk_credentials_user FOREIGN KEY (user_id) REFERENCES identity.users (id) ON DELETE CASCADE,
  CONSTRAINT ck_credentials_password_hash_length CHECK (char_length(password_hash) BETWEEN 1 AND 512)
);
COMMENT ON TABLE identity.credentials IS 'no-history: holds password hashes, which must not be copied.
natural-key: one credential per user, keyed by the user id.
The password of a user.';
COMMENT ON COLUMN identity.credentials.password_changed_at IS 'When the password was last set.';
COMMENT ON COLUMN identity.credentials.password_hash IS 'Argon2id PHC string.';

-- Login throttles -------------------------------------------------------------------------------
CREATE TABLE identity.login_throttles (
  tenant_id uuid NOT NULL,
  email text NOT NULL,
  failure_count integer NOT NULL DEFAULT 0,
  lock_ends_at timestamptz NULL,
  last_failed_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_login_throttles PRIMARY KEY (tenant_id, email),
  CONSTRAINT fk_login_throttles_tenant FOREIGN KEY (tenant_id) REFERENCES identity.tenants (id) ON DELETE CASCADE,
  CONSTRAINT ck_login_throttles_email_length CHECK (char_length(email) BETWEEN 1 AND 254),
  CONSTRAINT ck_login_throttles_failure_count CHECK (failure_count >= 0)
);
COMMENT ON TABLE identity.login_throttles IS 'no-history: a counter that changes on every failed login.
natural-key: counted per tenant and email, whether or not a user has that email.
Failed logins of one email in one tenant; throttling reveals nothing about which emails exist.';
COMMENT ON COLUMN identity.login_throttles.email IS 'The email tried, lowercased; need not belong to a user.';
COMMENT ON COLUMN identity.login_throttles.failure_count IS 'Failed attempts since the last successful login.';
COMMENT ON COLUMN identity.login_throttles.lock_ends_at IS 'Logins for this email are refused until then.';
COMMENT ON COLUMN identity.login_throttles.last_failed_at IS 'When the last attempt failed.';

-- Sessions --------------------------------------------------------------------------------------
CREATE TABLE identity.sessions (
  id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  user_agent text NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at timestamptz NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NULL,
  revocation_reason identity.session_revocation_reason_enum NULL,
  CONSTRAINT pk_sessions PRIMARY KEY (id),
  CONSTRAINT fk_sessions_tenant FOREIGN KEY (tenant_id) REFERENCES identity.tenants (id),
  CONSTRAINT fk_sessions_user FOREIGN KEY (user_id) REFERENCES identity.users (id) ON DELETE CASCADE,
  CONSTRAINT ck_sessions_user_agent_length CHECK (char_length(user_agent) <= 512),
  CONSTRAINT ck_sessions_revocation CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX idx_sessions_tenant_id ON identity.sessions (tenant_id);
CREATE INDEX idx_sessions_user_id_id ON identity.sessions (user_id, id DESC);
COMMENT ON TABLE identity.sessions IS 'no-history: touched on every refresh; revocations are published as session.revoked events.
One login: the family of its rotating refresh tokens.';
COMMENT ON COLUMN identity.sessions.user_agent IS 'Client that logged in, as it described itself.';
COMMENT ON COLUMN identity.sessions.last_refreshed_at IS 'When a refresh token of the session was last exchanged.';
COMMENT ON COLUMN identity.sessions.expires_at IS 'Absolute end of the session; refreshing does not extend it.';
COMMENT ON COLUMN identity.sessions.revoked_at IS 'When the session was ended early.';
COMMENT ON COLUMN identity.sessions.revocation_reason IS 'Why the session was ended early.';

-- Refresh tokens --------------------------------------------------------------------------------
CREATE TABLE identity.refresh_tokens (
  id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  session_id uuid NOT NULL,
  token_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_refresh_tokens PRIMARY KEY (id),
  CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (session_id) REFERENCES identity.sessions (id) ON DELETE CASCADE,
  CONSTRAINT uq_refresh_tokens_token_hash UNIQUE (token_hash),
  CONSTRAINT ck_refresh_tokens_token_hash_length CHECK (char_length(token_hash) = 64)
);
CREATE INDEX idx_refresh_tokens_session_id ON identity.refresh_tokens (session_id);
COMMENT ON TABLE identity.refresh_tokens IS 'no-history: secret-derived and rotated on every refresh.
Single-use refresh tokens of a session.';
COMMENT ON COLUMN identity.refresh_tokens.token_hash IS 'SHA-256 (hex) of the token; the token itself is never stored.';
COMMENT ON COLUMN identity.refresh_tokens.expires_at IS 'The token is refused after this time.';
COMMENT ON COLUMN identity.refresh_tokens.used_at IS 'Set when exchanged; presenting it again revokes the session.';

-- Signing keys ----------------------------------------------------------------------------------
CREATE TABLE identity.signing_keys (
  id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  algorithm text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_jwk_ciphertext text NOT NULL,
  activates_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_signing_keys PRIMARY KEY (id),
  CONSTRAINT ck_signing_keys_algorithm CHECK (algorithm IN ('RS256', 'EdDSA')),
  CONSTRAINT ck_signing_keys_algorithm_length CHECK (char_length(algorithm) BETWEEN 1 AND 20),
  CONSTRAINT ck_signing_keys_private_jwk_ciphertext_length CHECK (char_length(private_jwk_ciphertext) BETWEEN 1 AND 4096),
  CONSTRAINT ck_signing_keys_validity CHECK (expires_at > activates_at)
);
CREATE INDEX idx_signing_keys_expires_at ON identity.signing_keys (expires_at);
COMMENT ON TABLE identity.signing_keys IS 'append-only: a key is never changed, a new one replaces it.
Access-token signing keys; the id is the JWT kid.';
COMMENT ON COLUMN identity.signing_keys.algorithm IS 'JOSE algorithm of the key: RS256 (RSA 2048) or EdDSA (Ed25519).';
COMMENT ON COLUMN identity.signing_keys.public_jwk IS 'Public half as a JSON Web Key, published in the JWKS.';
COMMENT ON COLUMN identity.signing_keys.private_jwk_ciphertext IS 'Private JWK encrypted with AES-256-GCM under the key-encryption secret.';
COMMENT ON COLUMN identity.signing_keys.activates_at IS 'Signing starts then; the key is published in the JWKS before.';
COMMENT ON COLUMN identity.signing_keys.expires_at IS 'Signing stops then; the key stays published until tokens signed with it have expired.';

-- Timestamps and history ------------------------------------------------------------------------
CREATE TRIGGER trg_tenants_set_updated_at BEFORE UPDATE ON identity.tenants
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();
CREATE TRIGGER trg_users_set_updated_at BEFORE UPDATE ON identity.users
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();
CREATE TRIGGER trg_credentials_set_updated_at BEFORE UPDATE ON identity.credentials
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();
CREATE TRIGGER trg_login_throttles_set_updated_at BEFORE UPDATE ON identity.login_throttles
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();
CREATE TRIGGER trg_sessions_set_updated_at BEFORE UPDATE ON identity.sessions
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();
CREATE TRIGGER trg_refresh_tokens_set_updated_at BEFORE UPDATE ON identity.refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION identity.set_updated_at();

CREATE TABLE identity.tenants_history (
  history_id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE identity.tenants,
  CONSTRAINT pk_tenants_history PRIMARY KEY (history_id),
  CONSTRAINT ck_tenants_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
COMMENT ON TABLE identity.tenants_history IS 'append-only: earlier versions of tenants rows.';
CREATE TRIGGER trg_tenants_log_history AFTER UPDATE OR DELETE ON identity.tenants
  FOR EACH ROW EXECUTE FUNCTION identity.log_history();

CREATE TABLE identity.users_history (
  history_id uuid NOT NULL DEFAULT identity.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE identity.users,
  CONSTRAINT pk_users_history PRIMARY KEY (history_id),
  CONSTRAINT ck_users_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
COMMENT ON TABLE identity.users_history IS 'append-only: earlier versions of users rows.';
CREATE TRIGGER trg_users_log_history AFTER UPDATE OR DELETE ON identity.users
  FOR EACH ROW EXECUTE FUNCTION identity.log_history();
