import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { NatsContext, RpcException } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { headerNames, ParleyError, type ErrorEnvelope } from '@parley/contracts';
import { createLogger, requestContext } from '@parley/logging';
import { throwError, type Observable } from 'rxjs';
import { headerValue } from './message-headers.js';
import { internalErrorEnvelope } from './rpc.codec.js';

// What Nest throws when a guard returns false instead of throwing.
const forbiddenByGuard = 'Forbidden resource';

/**
 * The one exception filter of NATS request handlers: a `ParleyError` becomes its envelope,
 * anything else `internal` with a generic message while the real error is logged with the
 * correlation id. `@RequestHandler` applies it to every handler; register it globally
 * (`microservice.useGlobalFilters(new NatsExceptionFilter())`) to cover plain `@MessagePattern`s.
 */
@Catch()
export class NatsExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly log = createLogger(NatsExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): Observable<never> {
    const envelope = this.toEnvelope(exception, host);
    return throwError(() => envelope);
  }

  private toEnvelope(exception: unknown, host: ArgumentsHost): ErrorEnvelope {
    if (exception instanceof ParleyError) {
      return exception.toEnvelope();
    }
    if (exception instanceof RpcException && exception.getError() === forbiddenByGuard) {
      return { code: 'forbidden', message: 'Not allowed' };
    }
    this.log.error(
      { err: exception, correlationId: correlationIdOf(host), subject: subjectOf(host) },
      'Request handler failed',
    );
    return internalErrorEnvelope;
  }
}

function natsContextOf(host: ArgumentsHost): NatsContext | undefined {
  const context: unknown = host.switchToRpc().getContext();
  return context instanceof NatsContext ? context : undefined;
}

function correlationIdOf(host: ArgumentsHost): string | undefined {
  return (
    requestContext.get()?.correlationId ??
    headerValue(natsContextOf(host)?.getHeaders() as MsgHdrs | undefined, headerNames.correlationId)
  );
}

function subjectOf(host: ArgumentsHost): string | undefined {
  return natsContextOf(host)?.getSubject();
}
