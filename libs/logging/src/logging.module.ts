import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type DynamicModule,
  type INestApplicationContext,
  type InjectionToken,
  type MiddlewareConsumer,
  Module,
  type ModuleMetadata,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { Logger, LoggerModule, type Params } from 'nestjs-pino';
import { correlationIdOf, requestContextMiddleware } from './correlation.js';
import { configureLogging, type LoggingOptions, rootLogger } from './logger.js';

/** Probes and scrapes run every few seconds; logging each would drown the real traffic. */
const quietPaths = ['/health/live', '/health/ready', '/metrics'];

function isQuiet(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?', 1)[0] as string;
  return quietPaths.includes(path);
}

/** nestjs-pino parameters: pino-http on the process's root logger, keyed by the correlation id. */
function loggerParams(): Params {
  return {
    pinoHttp: {
      logger: rootLogger(),
      genReqId: (req: IncomingMessage, res: ServerResponse) => correlationIdOf(req, res),
      autoLogging: { ignore: isQuiet },
      // Lines logged while handling a request carry its id, not the whole request again; the
      // request itself is in the one "request completed" line.
      quietReqLogger: true,
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
        error !== undefined || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}

type LoggingLevelOptions = Omit<LoggingOptions, 'service'>;

export interface LoggingAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  service: string;
  inject?: InjectionToken[];
  /** Typically reads `LOG_LEVEL` from the injected configuration. */
  useFactory: (...deps: never[]) => LoggingLevelOptions | Promise<LoggingLevelOptions>;
}

@Module({})
export class LoggingModule implements NestModule {
  /**
   * JSON logs through nestjs-pino: a `service` field, the request context's `correlationId`,
   * `tenantId` and `actorId` on every line, secrets redacted, one line per HTTP request, and each
   * HTTP request handled inside `requestContext` with the correlation id of `x-correlation-id`.
   */
  static forRoot(options: LoggingOptions): DynamicModule {
    configureLogging(options);
    return {
      module: LoggingModule,
      global: true,
      imports: [LoggerModule.forRoot(loggerParams())],
      exports: [LoggerModule],
    };
  }

  /** Like `forRoot`, with the level (or destination) coming from injected providers. */
  static forRootAsync(options: LoggingAsyncOptions): DynamicModule {
    // Nest hands the injected providers over untyped; the caller typed them in its factory.
    const factory = options.useFactory as (
      ...deps: unknown[]
    ) => LoggingLevelOptions | Promise<LoggingLevelOptions>;
    return {
      module: LoggingModule,
      global: true,
      imports: [
        LoggerModule.forRootAsync({
          imports: options.imports ?? [],
          inject: options.inject ?? [],
          useFactory: async (...deps: unknown[]) => {
            configureLogging({ ...(await factory(...deps)), service: options.service });
            return loggerParams();
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestContextMiddleware).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}

/**
 * Routes Nest's own logs (bootstrap, exceptions, terminus) through pino. Create the application
 * with `{ bufferLogs: true }` and call this right after, so nothing is printed before.
 */
export function useLogging(app: INestApplicationContext): void {
  app.useLogger(app.get(Logger));
  app.flushLogs();
}
