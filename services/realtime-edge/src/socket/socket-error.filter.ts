import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { ParleyError, realtimeEvents, type SocketError } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import type { Respond } from './edge-io.adapter.js';
import type { EdgeSocket } from './socket-session.js';

/**
 * The one mapping of errors to Socket.IO: a `ParleyError` becomes the error envelope of the
 * command's acknowledgement (or an `error` event); anything else is logged with the correlation
 * id and answered as `internal` with a generic message.
 */
@Catch()
export class SocketErrorFilter implements ExceptionFilter {
  private readonly logger = createLogger(SocketErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = this.toParleyError(exception, host);
    const respond: unknown = host.getArgByIndex(2);
    if (typeof respond === 'function') {
      (respond as Respond)({ ok: false, error: error.toEnvelope() });
      return;
    }
    // Not dispatched by EdgeIoAdapter (no responder): tell the socket.
    const ws = host.switchToWs();
    const pattern: unknown = ws.getPattern();
    const event: SocketError = { ...error.toEnvelope(), event: typeof pattern === 'string' ? pattern : null };
    ws.getClient<EdgeSocket>().emit(realtimeEvents.error.event, event);
  }

  private toParleyError(exception: unknown, host: ArgumentsHost): ParleyError {
    if (exception instanceof ParleyError) {
      return exception;
    }
    if (exception instanceof WsException) {
      // Nest's own refusal: a guard that answered false.
      return new ParleyError('forbidden', 'This operation is not allowed');
    }
    this.logger.error({ err: exception, event: host.switchToWs().getPattern() }, 'A socket command failed');
    return new ParleyError('internal', 'Something went wrong');
  }
}
