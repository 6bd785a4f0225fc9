import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';
import type { PermissionOptions } from './permission.options.js';

export const permissionConfig = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: health, metrics and any HTTP API of the service',
    default: '3002',
  }),
  AUTH_ISSUER: env.string({
    description: 'Expected `iss` of access tokens: the IDENTITY_ISSUER of the identity service',
    default: 'parley-identity',
  }),
  AUTH_AUDIENCE: env.string({
    description: 'Expected `aud` of access tokens: the IDENTITY_AUDIENCE of the identity service',
    default: 'parley',
  }),
  PERMISSION_JWKS_URL: env.url({
    description:
      "Where the keys that verify access tokens are fetched over HTTP (identity's /.well-known/jwks.json); " +
      'unset: asked from identity over NATS (identity.v1.jwks.get)',
    optional: true,
    protocols: ['http', 'https'],
  }),
  PERMISSION_PLATFORM_TENANT: env.string({
    description:
      "Slug of the platform tenant (identity's IDENTITY_PLATFORM_TENANT); its first service account " +
      'becomes the platform operator',
    default: 'platform',
    pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
    patternHint: 'Expected a lowercase slug',
  }),
});
export type PermissionConfig = ConfigOf<typeof permissionConfig>;

export function permissionOptionsFrom(config: PermissionConfig): PermissionOptions {
  return { platformTenantSlug: config.PERMISSION_PLATFORM_TENANT };
}
