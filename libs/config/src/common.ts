import { defineConfig } from './config.js';
import { env, optionalVariable, requiredVariable } from './variable.js';

/** pino's levels, `silent` included. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const postgres = ['postgres', 'postgresql'] as const;

/** How request handlers hold their results to the response contract (@parley/nats). */
export const responseValidations = ['strict', 'off'] as const;
export type ResponseValidation = (typeof responseValidations)[number];

/**
 * The variables every service has. Spread them into a service's own definition:
 * `defineConfig({ ...commonVariables, ACCESS_TOKEN_TTL: env.duration({ … }) })`; a service may
 * override one (e.g. its own `HTTP_PORT` default) by naming it after the spread.
 */
export const commonVariables = defineConfig({
  DATABASE_URL: env.url({
    description: "PostgreSQL connection string of the service's own login (schema owner at run time)",
    secret: true,
    protocols: postgres,
  }),
  DATABASE_ADMIN_URL: env.url({
    description:
      'PostgreSQL connection string of a login allowed to apply migrations; read by the migrate command only',
    secret: true,
    optional: true,
    protocols: postgres,
  }),
  NATS_URL: env.url({
    description: 'NATS server the service connects to',
    default: 'nats://127.0.0.1:4222',
    protocols: ['nats', 'tls', 'ws', 'wss'],
  }),
  NATS_NAMESPACE: env.string({
    description:
      'Prefix of every subject and stream name the process uses; empty in production, unique per test run',
    default: '',
    pattern: /^[A-Za-z0-9_-]*$/,
    patternHint: 'Expected letters, digits, "-" and "_" only',
  }),
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server (health, metrics and any HTTP API of the service)',
    default: '3000',
  }),
  LOG_LEVEL: env.enum(logLevels, {
    description: 'Lowest level written to the log',
    default: 'info',
  }),
  RESPONSE_VALIDATION: env.enum(responseValidations, {
    description:
      'strict: every reply is validated against its contract, and one the contract would change is refused ' +
      'as internal (development, tests); off: replies go out as the handlers return them (production)',
    default: 'strict',
  }),
});

/** What a service's migrate command reads: the admin login, and the service login to confine. */
export const migrationVariables = defineConfig({
  DATABASE_ADMIN_URL: requiredVariable(commonVariables.DATABASE_ADMIN_URL),
  DATABASE_URL: optionalVariable(commonVariables.DATABASE_URL),
});
