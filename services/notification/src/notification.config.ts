import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';
import type { NotificationOptions } from './notification.options.js';

const slug = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const notificationConfig = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: health, metrics and any HTTP API of the service',
    default: '3004',
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
    description: 'Connections in the database pool: consumers, requests and the two workers share them',
    default: '20',
    min: 2,
    max: 200,
  }),
  NOTIFICATION_PLATFORM_TENANT: env.string({
    description:
      "Slug of the platform tenant (identity's IDENTITY_PLATFORM_TENANT): system alerts are sent from it only",
    default: 'platform',
    pattern: slug,
    patternHint: 'Expected a lowercase slug',
  }),
  NOTIFICATION_EVENT_MAX_AGE: env.duration({
    description:
      'Events older than this (a consumer catching up, a first start reading the retained stream) update the ' +
      'local copies but notify nobody',
    default: '1d',
    minMs: 60_000,
  }),
  NOTIFICATION_SENDER_RETENTION: env.duration({
    description:
      'How long the sender of a message is remembered (replies and reactions to older messages notify nobody)',
    default: '30d',
    minMs: 60 * 60 * 1000,
  }),
  NOTIFICATION_RETENTION: env.duration({
    description:
      'How long read, dismissed and email-only notifications are kept (unread ones in the inbox stay until read); checked once an hour',
    default: '90d',
    minMs: 24 * 60 * 60 * 1000,
  }),
  NOTIFICATION_BROADCAST_BATCH_SIZE: env.int({
    description: 'Users notified per transaction of a broadcast fan-out: bounds its memory and its locks',
    default: '1000',
    min: 1,
    max: 10_000,
  }),
  NOTIFICATION_BROADCAST_POLL_INTERVAL: env.duration({
    description:
      'How often the fan-out worker looks for broadcast jobs it was not told about (another instance, a restart)',
    default: '2s',
    minMs: 10,
  }),
  SMTP_HOST: env.string({
    description: 'SMTP server that sends notification emails; unset: no emails are sent (the inbox only)',
    optional: true,
    minLength: 1,
  }),
  SMTP_PORT: env.port({ description: 'Port of the SMTP server', default: '587' }),
  SMTP_SECURE: env.boolean({
    description: 'true: TLS from the start (port 465); false: STARTTLS when the server offers it',
    default: 'false',
  }),
  SMTP_USER: env.string({
    description: 'SMTP login; unset: no authentication',
    optional: true,
    minLength: 1,
  }),
  SMTP_PASSWORD: env.string({ description: 'SMTP password', optional: true, secret: true, minLength: 1 }),
  SMTP_FROM: env.string({
    description: 'Sender of notification emails, e.g. "Parley <notifications@example.org>"',
    default: 'Parley <notifications@parley.invalid>',
    minLength: 3,
  }),
  SMTP_TIMEOUT: env.duration({
    description: 'Longest wait for the SMTP server at each step (connect, greeting, each command)',
    default: '10s',
    minMs: 100,
    maxMs: 120_000,
  }),
  NOTIFICATION_APP_URL: env.url({
    description: 'Where emails send the reader to see the notifications; unset: emails carry no link',
    optional: true,
    protocols: ['http', 'https'],
  }),
  NOTIFICATION_EMAIL_DIGEST_WINDOW: env.duration({
    description:
      'How long the first unread notification of a user waits for others before one email carries them all ' +
      '(urgent ones go at once); 0s sends each at once',
    default: '5m',
  }),
  NOTIFICATION_EMAIL_MAX_ATTEMPTS: env.int({
    description: 'Attempts at sending an email before it is dead-lettered',
    default: '6',
    min: 1,
    max: 100,
  }),
  NOTIFICATION_EMAIL_RETRY_INITIAL: env.duration({
    description: 'Wait after the first failed attempt; it doubles with each failure up to the maximum',
    default: '30s',
    minMs: 1,
  }),
  NOTIFICATION_EMAIL_RETRY_MAX: env.duration({
    description: 'Longest wait between two attempts',
    default: '30m',
    minMs: 1,
  }),
  NOTIFICATION_EMAIL_POLL_INTERVAL: env.duration({
    description: 'How often the email sender looks for due deliveries',
    default: '2s',
    minMs: 10,
  }),
});
export type NotificationConfig = ConfigOf<typeof notificationConfig>;

/** The options the providers use, taken from the validated configuration. */
export function notificationOptionsFrom(config: NotificationConfig): NotificationOptions {
  return {
    platformTenantSlug: config.NOTIFICATION_PLATFORM_TENANT,
    eventMaxAgeMs: config.NOTIFICATION_EVENT_MAX_AGE,
    senderRetentionMs: config.NOTIFICATION_SENDER_RETENTION,
    notificationRetentionMs: config.NOTIFICATION_RETENTION,
    broadcastBatchSize: config.NOTIFICATION_BROADCAST_BATCH_SIZE,
    broadcastPollIntervalMs: config.NOTIFICATION_BROADCAST_POLL_INTERVAL,
    email:
      config.SMTP_HOST === undefined
        ? undefined
        : {
            smtp: {
              host: config.SMTP_HOST,
              port: config.SMTP_PORT,
              secure: config.SMTP_SECURE,
              user: config.SMTP_USER,
              password: config.SMTP_PASSWORD,
              timeoutMs: config.SMTP_TIMEOUT,
            },
            from: config.SMTP_FROM,
            appUrl: config.NOTIFICATION_APP_URL,
            digestWindowMs: config.NOTIFICATION_EMAIL_DIGEST_WINDOW,
            maxAttempts: config.NOTIFICATION_EMAIL_MAX_ATTEMPTS,
            retryInitialMs: config.NOTIFICATION_EMAIL_RETRY_INITIAL,
            retryMaxMs: Math.max(
              config.NOTIFICATION_EMAIL_RETRY_INITIAL,
              config.NOTIFICATION_EMAIL_RETRY_MAX,
            ),
            pollIntervalMs: config.NOTIFICATION_EMAIL_POLL_INTERVAL,
          },
  };
}
