import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { httpStatusOf, ParleyError, type ErrorEnvelope } from '@parley/contracts';
import { createLogger, requestContext } from '@parley/logging';

const logger = createLogger('HttpErrorFilter');

/**
 * The one mapping from errors to HTTP responses: a ParleyError keeps its code and message, Nest's
 * own HTTP errors (unknown route, malformed JSON) get the matching code, anything else is logged
 * and answered as `internal` without details.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, envelope } = toHttpError(error);
    if (status >= 500) {
      logger.error({ err: error, correlationId: requestContext.get()?.correlationId }, 'Request failed');
    }
    if (envelope.code === 'rate_limited' && typeof envelope.details?.['retryAfterSeconds'] === 'number') {
      response.setHeader('Retry-After', String(envelope.details['retryAfterSeconds']));
    }
    response.status(status).json({ error: envelope });
  }
}

export function toHttpError(error: unknown): { status: number; envelope: ErrorEnvelope } {
  if (error instanceof ParleyError) {
    return { status: httpStatusOf[error.code], envelope: error.toEnvelope() };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      status === 404
        ? 'not_found'
        : status === 413
          ? 'limit_exceeded'
          : status < 500
            ? 'validation_failed'
            : 'internal';
    return { status, envelope: { code, message: status < 500 ? error.message : 'Internal error' } };
  }
  return { status: 500, envelope: { code: 'internal', message: 'Internal error' } };
}
