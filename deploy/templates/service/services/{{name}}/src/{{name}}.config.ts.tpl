import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';

export const {{camelName}}Config = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: health, metrics and any HTTP API of the service',
    default: '{{port}}',
  }),
  AUTH_ISSUER: env.string({
    description: 'Expected `iss` of access tokens: the IDENTITY_ISSUER of the identity service',
    default: 'parley-identity',
  }),
  AUTH_AUDIENCE: env.string({
    description: 'Expected `aud` of access tokens: the IDENTITY_AUDIENCE of the identity service',
    default: 'parley',
  }),
});
export type {{Name}}Config = ConfigOf<typeof {{camelName}}Config>;
