import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';
import { serviceAccountVariables } from '@parley/permissions';

export const conversationConfig = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: health, metrics and any HTTP API of the service',
    default: '3003',
  }),
  AUTH_ISSUER: env.string({
    description: 'Expected `iss` of access tokens: the IDENTITY_ISSUER of the identity service',
    default: 'parley-identity',
  }),
  AUTH_AUDIENCE: env.string({
    description: 'Expected `aud` of access tokens: the IDENTITY_AUDIENCE of the identity service',
    default: 'parley',
  }),
  DATABASE_POOL_SIZE: env.int({
    description: 'Connections in the database pool: each send holds one for its transaction',
    default: '20',
    min: 1,
    max: 200,
  }),
  // The service account that sets participants' standings in the permission service: a user of
  // kind `service` in the platform tenant, holding `platform-service` there.
  ...serviceAccountVariables,
});
export type ConversationConfig = ConfigOf<typeof conversationConfig>;
