import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';
import type { IdentityOptions } from './identity.options.js';
import { signingAlgorithms } from './keys/signing-key.entity.js';

export const identityConfig = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP API (login, JWKS), health and metrics',
    default: '3001',
  }),
  IDENTITY_ISSUER: env.string({ description: 'The `iss` of access tokens', default: 'parley-identity' }),
  IDENTITY_AUDIENCE: env.string({ description: 'The `aud` of access tokens', default: 'parley' }),
  IDENTITY_ACCESS_TOKEN_TTL: env.duration({
    description: 'Lifetime of an access token; revocation takes effect within it',
    default: '5m',
    minMs: 30_000,
    maxMs: 3_600_000,
  }),
  IDENTITY_SESSION_TTL: env.duration({
    description: 'Absolute lifetime of a session (and of its refresh tokens)',
    default: '30d',
    minMs: 60_000,
  }),
  IDENTITY_KEY_LIFETIME: env.duration({
    description: 'How long one signing key signs before the next takes over',
    default: '30d',
    minMs: 60_000,
  }),
  IDENTITY_KEY_PUBLISH_LEAD: env.duration({
    description: 'How early a new signing key is published in the JWKS before it signs',
    default: '1h',
    minMs: 1_000,
  }),
  IDENTITY_SIGNING_ALGORITHM: env.enum(signingAlgorithms, {
    description: 'Algorithm of new signing keys: RS256 verifies fastest, EdDSA gives shorter tokens',
    default: 'RS256',
  }),
  IDENTITY_KEY_ENCRYPTION_SECRET: env.string({
    description: 'Secret that encrypts private signing keys at rest (at least 16 characters)',
    secret: true,
    minLength: 16,
    default: 'local-development-only-key-encryption-secret',
  }),
  IDENTITY_LOGIN_MAX_FAILURES: env.int({
    description: 'Failed logins for one email before it is locked',
    default: '5',
    min: 1,
    max: 100,
  }),
  IDENTITY_LOGIN_LOCK: env.duration({
    description: 'First lock after too many failed logins; doubles with every further failure',
    default: '1m',
  }),
  IDENTITY_LOGIN_LOCK_MAX: env.duration({ description: 'Longest lock after failed logins', default: '1h' }),
  IDENTITY_PLATFORM_TENANT: env.string({
    description:
      'Slug of the platform tenant, created at start-up; the permission service makes its first service ' +
      'account the platform operator',
    default: 'platform',
    pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
    patternHint: 'Expected a lowercase slug',
  }),
  IDENTITY_PLATFORM_OPERATOR_EMAIL: env.string({
    description: 'Email of the platform operator service account',
    default: 'operator@parley.local',
  }),
  IDENTITY_PLATFORM_OPERATOR_PASSWORD: env.string({
    description:
      'Password of the platform operator account (a service account of the platform tenant); when set, ' +
      'the account is created at start-up if missing',
    secret: true,
    optional: true,
    minLength: 10,
  }),
});
export type IdentityConfig = ConfigOf<typeof identityConfig>;

export function identityOptionsFrom(config: IdentityConfig): IdentityOptions {
  return {
    issuer: config.IDENTITY_ISSUER,
    audience: config.IDENTITY_AUDIENCE,
    accessTokenTtlMs: config.IDENTITY_ACCESS_TOKEN_TTL,
    sessionTtlMs: config.IDENTITY_SESSION_TTL,
    keyLifetimeMs: config.IDENTITY_KEY_LIFETIME,
    keyPublishLeadMs: config.IDENTITY_KEY_PUBLISH_LEAD,
    keyEncryptionSecret: config.IDENTITY_KEY_ENCRYPTION_SECRET,
    signingAlgorithm: config.IDENTITY_SIGNING_ALGORITHM,
    login: {
      maxFailures: config.IDENTITY_LOGIN_MAX_FAILURES,
      lockBaseMs: config.IDENTITY_LOGIN_LOCK,
      lockMaxMs: config.IDENTITY_LOGIN_LOCK_MAX,
    },
    platformTenantSlug: config.IDENTITY_PLATFORM_TENANT,
  };
}
