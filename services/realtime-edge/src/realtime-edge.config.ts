import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';

// The edge keeps nothing durable: no database variables.
const { DATABASE_URL: _databaseUrl, DATABASE_ADMIN_URL: _databaseAdminUrl, ...common } = commonVariables;

export const realtimeEdgeConfig = defineConfig({
  ...common,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: Socket.IO (path /socket.io/), health and metrics',
    default: '3000',
  }),
  AUTH_ISSUER: env.string({
    description: 'Expected `iss` of access tokens: the IDENTITY_ISSUER of the identity service',
    default: 'parley-identity',
  }),
  AUTH_AUDIENCE: env.string({
    description: 'Expected `aud` of access tokens: the IDENTITY_AUDIENCE of the identity service',
    default: 'parley',
  }),
  REALTIME_QUERY_TOKEN: env.boolean({
    description:
      'Accept an access token in the `token` query parameter of the handshake (for clients that can set ' +
      'neither `auth` nor headers); it is never logged. `false` accepts only `auth.token` and `Authorization`',
    default: 'true',
  }),
  REALTIME_CORS_ORIGINS: env.list({
    description: 'Browser origins allowed to connect (`*` for any); none when empty',
    default: '',
  }),
  REALTIME_POLLING: env.boolean({
    description:
      'Offer HTTP long-polling besides WebSocket. Polling needs sticky sessions in front of several ' +
      'instances; WebSocket alone needs none',
    default: 'false',
  }),
  REALTIME_MAX_FRAME_BYTES: env.int({
    description: 'Largest frame the server reads at all; a larger one closes the connection',
    default: '1048576',
    min: 1024,
    max: 16_777_216,
  }),
  REALTIME_MAX_EVENT_BYTES: env.int({
    description:
      'Largest client event (its JSON payload) accepted; a larger one is refused with limit_exceeded',
    default: '65536',
    min: 256,
    max: 16_777_216,
  }),
  REALTIME_SOCKET_RATE: env.int({
    description: 'Client events per second one socket may send on average (token bucket refill)',
    default: '20',
    min: 1,
  }),
  REALTIME_SOCKET_BURST: env.int({
    description: 'Client events one socket may send at once (token bucket size)',
    default: '40',
    min: 1,
  }),
  REALTIME_USER_RATE: env.int({
    description:
      "Client events per second all of a user's sockets may send on average, shared among the instances they are on",
    default: '50',
    min: 1,
  }),
  REALTIME_USER_BURST: env.int({
    description:
      "Client events all of a user's sockets may send at once, shared among the instances they are on",
    default: '100',
    min: 1,
  }),
  REALTIME_SYNC_MAX_GAP: env.int({
    description:
      'Most messages replayed per conversation on conversation:sync; a larger gap gets sync:reset (reload history)',
    default: '1000',
    min: 1,
    max: 100_000,
  }),
  REALTIME_GAP_WAIT: env.duration({
    description:
      'How long an instance holds a message that arrived before an earlier one, before it fetches the missing ones',
    default: '250ms',
    minMs: 1,
    maxMs: 60_000,
  }),
  REALTIME_PRESENCE_TTL: env.duration({
    description: 'Presence entries expire after this long without a refresh (a crashed instance)',
    default: '60s',
    minMs: 3_000,
    maxMs: 3_600_000,
  }),
  REALTIME_TYPING_INTERVAL: env.duration({
    description: 'At most one typing:start per socket and conversation is passed on per interval',
    default: '2s',
    minMs: 0,
    maxMs: 60_000,
  }),
  REALTIME_TOKEN_WARNING: env.duration({
    description: 'How long before its token expires a socket is sent auth:expiring',
    default: '60s',
    minMs: 0,
    maxMs: 3_600_000,
  }),
  REALTIME_REVOCATION_TTL: env.duration({
    description:
      'How long a revoked session is remembered: at least the longest access token lifetime of identity',
    default: '1h',
    minMs: 60_000,
  }),
  REALTIME_CONSUMER_PREFETCH: env.int({
    description: 'Events each instance pulls ahead from the shared consumers',
    default: '256',
    min: 1,
    max: 1000,
  }),
});
export type RealtimeEdgeConfig = ConfigOf<typeof realtimeEdgeConfig>;
