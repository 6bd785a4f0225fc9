import { randomUUID } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { AbstractWsAdapter, type MessageMappingProperties } from '@nestjs/websockets';
import { ParleyError, realtimeEvents, type Ack, type SocketError } from '@parley/contracts';
import { createLogger, requestContext } from '@parley/logging';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { EdgeMetrics } from '../observability/edge-metrics.js';
import type { CommandGate } from './command-gate.js';
import type { EdgeSocket } from './socket-session.js';

/** How the Socket.IO server is set up, from the configuration. */
export interface EdgeServerSettings {
  /** Offer long-polling besides WebSocket (needs sticky sessions across instances). */
  readonly polling: boolean;
  /** Largest frame read at all (Socket.IO's maxHttpBufferSize): beyond it the connection closes. */
  readonly maxFrameBytes: number;
  /** Browser origins allowed; `*` for any; none when empty. */
  readonly corsOrigins: readonly string[];
}

/** A gateway handler as Nest binds it to one socket: guards, pipes, then the method. */
type Handler = MessageMappingProperties['callback'];

/** Answers a command exactly once: the client's acknowledgement, or an `error` event when it gave none. */
export type Respond = (reply: Ack<unknown>) => void;

/**
 * The Socket.IO adapter of the edge's gateways: a Socket.IO server on the application's HTTP server
 * with the edge's options, and its own dispatch: one listener per socket for every client event,
 * instead of an observable pipeline per handler and socket (Nest's IoAdapter, which costs kilobytes
 * per idle connection). Each event passes the `CommandGate`, then runs its gateway handler (guards,
 * then the method) inside a request context carrying the actor, and is answered through a `Respond`
 * passed where Nest passes the acknowledgement, so the exception filter answers failures the same
 * way.
 */
export class EdgeIoAdapter extends AbstractWsAdapter {
  private readonly logger = createLogger(EdgeIoAdapter.name);
  /** Each event's place in every socket's table of handlers: the same for all sockets. */
  private readonly slots = new Map<string, number>();
  /** Per socket, the handlers Nest bound to it, by slot: the least an idle socket can hold. */
  private readonly handlers = new WeakMap<Socket, Handler[]>();

  constructor(
    app: INestApplicationContext,
    private readonly settings: EdgeServerSettings,
    private readonly gate: CommandGate,
    private readonly metrics: EdgeMetrics,
  ) {
    super(app);
  }

  /** Gateways declare no port: the server shares the application's HTTP server. */
  create(_port: number, options?: Partial<ServerOptions>): Server {
    return new Server(this.httpServer as HttpServer, { ...options, ...this.serverOptions() });
  }

  bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    // Nest binds each gateway's handlers separately; one listener serves them all.
    let table = this.handlers.get(socket);
    if (table === undefined) {
      const created: Handler[] = [];
      table = created;
      this.handlers.set(socket, created);
      socket.onAny((event: unknown, ...args: unknown[]) => {
        this.dispatch(socket as EdgeSocket, created, typeof event === 'string' ? event : '', args);
      });
    }
    for (const handler of handlers) {
      const message = String(handler.message);
      let slot = this.slots.get(message);
      if (slot === undefined) {
        slot = this.slots.size;
        this.slots.set(message, slot);
      }
      table[slot] = handler.callback;
    }
  }

  private serverOptions(): Partial<ServerOptions> {
    const origins = this.settings.corsOrigins;
    return {
      path: '/socket.io/',
      serveClient: false,
      transports: this.settings.polling ? ['polling', 'websocket'] : ['websocket'],
      maxHttpBufferSize: this.settings.maxFrameBytes,
      ...(origins.length === 0 ? {} : { cors: { origin: origins.includes('*') ? true : [...origins] } }),
    };
  }

  private dispatch(socket: EdgeSocket, table: readonly Handler[], event: string, args: unknown[]): void {
    const last = args.at(-1);
    const acknowledge = typeof last === 'function' ? (args.pop() as (reply: unknown) => void) : undefined;
    const admission = this.gate.admit(socket, event, args);
    const name = admission.command?.event ?? 'unknown';
    let answered = false;
    const respond: Respond = (reply) => {
      if (answered) {
        return;
      }
      answered = true;
      this.metrics.eventsIn.inc({ event: name, outcome: reply.ok ? 'ok' : reply.error.code });
      if (acknowledge !== undefined) {
        acknowledge(reply);
      } else if (!reply.ok) {
        const error: SocketError = { ...reply.error, event: admission.command?.event ?? null };
        socket.emit(realtimeEvents.error.event, error);
      }
    };
    if (!admission.ok) {
      respond({ ok: false, error: admission.error.toEnvelope() });
      return;
    }
    const slot = this.slots.get(admission.command.event);
    const handler = slot === undefined ? undefined : table[slot];
    if (handler === undefined) {
      respond({ ok: false, error: new ParleyError('internal', 'No handler for this event').toEnvelope() });
      this.logger.error({ event: admission.command.event }, 'A command has no gateway handler');
      return;
    }
    const { principal } = socket.data;
    const context = { correlationId: randomUUID(), tenantId: principal.tenantId, actorId: principal.userId };
    void requestContext.run(context, async () => {
      try {
        // Nest's handler runs guards and the method; a failure goes to SocketErrorFilter, which
        // answers through `respond` and leaves the result undefined.
        const result: unknown = await handler(admission.payload, respond);
        if (result !== undefined) {
          respond({ ok: true, data: result });
        }
      } catch (error) {
        this.logger.error(
          { err: error, event: admission.command.event },
          'A command failed outside its handler',
        );
        respond({ ok: false, error: new ParleyError('internal', 'Something went wrong').toEnvelope() });
      }
    });
  }
}
