import { ParleyError } from '@parley/contracts';
import { pino, type DestinationStream, type Logger } from 'pino';
import { requestContext } from './request-context.js';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line, wherever they appear. */
export const redactedKeys = [
  'password',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'Authorization',
  'cookie',
  'secret',
] as const;

export const redactionCensor = '[redacted]';

/** How deep below the top of a log record the keys above are searched for. */
const redactionDepth = 4;

/**
 * pino redact paths: each key at the top level and below up to three wildcard levels (enough for
 * `req.headers.authorization` and a nested payload), plus the response's set-cookie header.
 */
export const redactPaths: readonly string[] = [
  ...redactedKeys.flatMap((key) =>
    Array.from({ length: redactionDepth }, (_, depth) => `${'*.'.repeat(depth)}${key}`),
  ),
  'res.headers["set-cookie"]',
];

export interface LoggingOptions {
  /** Written as `service` on every line. */
  service: string;
  /** pino level; `info` when omitted. */
  level?: string;
  /** Where JSON lines go; standard output when omitted (tests pass a capturing stream). */
  destination?: DestinationStream;
}

const levels = new Set([...Object.keys(pino.levels.values), 'silent']);

const settings: { service: string; destination: DestinationStream } = {
  service: 'parley',
  destination: pino.destination(1),
};

// Loggers are created at module load (before a service configures logging), so the root writes
// through this indirection and reads `service` at write time: later configuration reaches all.
const forwarding: DestinationStream = {
  write: (line: string) => settings.destination.write(line),
};

let root: Logger | undefined;

/** Adds the service and the current request context to every line. */
function mixin(): Record<string, unknown> {
  const context = requestContext.get();
  if (context === undefined) {
    return { service: settings.service };
  }
  return {
    service: settings.service,
    correlationId: context.correlationId,
    tenantId: context.tenantId,
    actorId: context.actorId,
  };
}

/** The one pino logger of the process; every other logger is a child of it. */
export function rootLogger(): Logger {
  root ??= pino(
    {
      level: 'info',
      mixin,
      redact: { paths: [...redactPaths], censor: redactionCensor },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    forwarding,
  );
  return root;
}

/**
 * Sets the service name, level and destination of the process's logs, including those of
 * loggers created before this call. `LoggingModule.forRoot` calls it; scripts call it first.
 */
export function configureLogging(options: LoggingOptions): void {
  const level = options.level ?? 'info';
  if (!levels.has(level)) {
    throw new ParleyError('validation_failed', `Unknown log level "${level}"`, {
      level,
      expected: [...levels],
    });
  }
  settings.service = options.service;
  if (options.destination !== undefined) {
    settings.destination = options.destination;
  }
  rootLogger().level = level;
}

/**
 * A logger for code outside Nest's container (scripts, libraries, module-level constants), with
 * the same redaction, `service` and request context fields as the Nest logs.
 */
export function createLogger(context: string): Logger {
  return rootLogger().child({ context });
}
