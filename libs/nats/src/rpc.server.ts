import { NatsContext, ServerNats, type CustomStrategy } from '@nestjs/microservices';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { createLogger, requestContext } from '@parley/logging';
import { firstValueFrom, isObservable } from 'rxjs';
import { connectNats } from './connection.js';
import { contextFromHeaders } from './message-headers.js';
import { Namespace } from './namespace.js';
import {
  internalErrorEnvelope,
  ParleyReplySerializer,
  ParleyRequestDeserializer,
  toErrorEnvelope,
  type ReplyPacket,
  type SerializedReply,
} from './rpc.codec.js';

export interface NatsMicroserviceOptions {
  url: string;
  /** `NATS_NAMESPACE`; empty in production. */
  namespace?: string | Namespace;
  /** The service name: the NATS queue of every subscription, so instances share the load. */
  queue: string;
  /** Client name shown by the server; defaults to `<queue>-rpc`. */
  name?: string;
}

/**
 * Nest's NATS transport speaking Parley's wire format: requests are plain JSON on namespaced
 * canonical subjects (NATS queue = service name), replies are `{ ok, data | error }` with the
 * correlation id in their headers, and each handler runs inside the request context its headers
 * describe. Messages without a reply subject are not served here: events go through JetStream.
 */
export class ParleyNatsServer extends ServerNats {
  private readonly log = createLogger(ParleyNatsServer.name);
  private readonly namespace: Namespace;
  private readonly queue: string;
  private readonly connectionName: string;
  private readonly url: string;
  private readonly requestDeserializer: ParleyRequestDeserializer;
  private readonly replySerializer: ParleyReplySerializer;
  private readonly requestSubscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private connection: NatsConnection | undefined;

  constructor(options: NatsMicroserviceOptions) {
    const namespace =
      options.namespace instanceof Namespace ? options.namespace : new Namespace(options.namespace);
    const name = options.name ?? `${options.queue}-rpc`;
    const serializer = new ParleyReplySerializer();
    const deserializer = new ParleyRequestDeserializer();
    super({ servers: options.url, queue: options.queue, name, serializer, deserializer });
    this.replySerializer = serializer;
    this.requestDeserializer = deserializer;
    this.namespace = namespace;
    this.queue = options.queue;
    this.connectionName = name;
    this.url = options.url;
  }

  override async createNatsClient(): Promise<NatsConnection> {
    this.connection = await connectNats({ url: this.url, name: this.connectionName });
    return this.connection;
  }

  /** Subscribes, and reports ready only once the server has the subscriptions (a flush). */
  override start(callback: (error?: unknown) => void): void {
    const connection = this.unwrap<NatsConnection>();
    this.bindEvents(connection);
    connection.flush().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  override bindEvents(client: NatsConnection): void {
    for (const [pattern, handler] of this.getHandlers()) {
      if (handler.isEventHandler) {
        this.log.warn({ pattern }, 'Event handlers are not served over core NATS; use EventConsumer');
        continue;
      }
      const subscription = client.subscribe(this.namespace.subject(pattern), {
        queue: this.queue,
        callback: (error, message) => {
          if (error) {
            this.log.error({ pattern, err: error }, 'Subscription failed');
            return;
          }
          this.track(this.handleMessage(pattern, message));
        },
      });
      this.requestSubscriptions.push(subscription);
    }
  }

  /** Serves one request; never rejects (every failure becomes an error reply or a log line). */
  override async handleMessage(pattern: string, message: Msg): Promise<void> {
    if (!message.reply) {
      this.log.warn({ subject: message.subject }, 'Ignored a message without reply subject');
      return;
    }
    const context = contextFromHeaders(message.headers);
    await requestContext.run(context, async () => {
      const packet = await this.produceReply(pattern, message);
      this.reply(message, packet, context.correlationId);
    });
  }

  /**
   * Our patterns are subjects, never JSON, so a subject is its own route. (The default first tries
   * to parse every incoming pattern as JSON, and a failed parse is an exception per request.)
   */
  override getRouteFromPattern(pattern: string): string {
    return pattern;
  }

  /** Stops taking requests, lets those in flight reply, then drains the connection. */
  override async close(): Promise<void> {
    const connection = this.connection;
    if (!connection) {
      return;
    }
    this.connection = undefined;
    await Promise.allSettled(this.requestSubscriptions.splice(0).map((subscription) => subscription.drain()));
    await Promise.allSettled([...this.inFlight]);
    if (!connection.isClosed()) {
      await connection.drain();
    }
    this.statusEventEmitter.removeAllListeners();
  }

  private async produceReply(pattern: string, message: Msg): Promise<ReplyPacket> {
    let data: unknown;
    try {
      data = this.requestDeserializer.deserialize(message, { channel: pattern }).data;
    } catch (error) {
      return { err: error };
    }
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      return { err: new ParleyError('not_found', 'No handler for this subject') };
    }
    try {
      const result: unknown = await handler(data, new NatsContext([message.subject, message.headers]));
      return {
        response: isObservable(result) ? await firstValueFrom(result, { defaultValue: undefined }) : result,
      };
    } catch (error) {
      if (toErrorEnvelope(error) === undefined) {
        // Only reached when no NatsExceptionFilter wrapped the handler.
        this.log.error({ pattern, err: error }, 'Request handler failed');
      }
      return { err: error };
    }
  }

  private reply(message: Msg, packet: ReplyPacket, correlationId: string): void {
    let reply: SerializedReply;
    try {
      reply = this.replySerializer.serialize(packet, { correlationId });
    } catch (error) {
      this.log.error({ subject: message.subject, err: error }, 'Reply could not be serialized');
      reply = this.replySerializer.serialize({ err: internalErrorEnvelope }, { correlationId });
    }
    try {
      message.respond(reply.data, { headers: reply.headers });
    } catch (error) {
      this.log.error({ subject: message.subject, err: error }, 'Reply could not be sent');
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.log.error({ err: error }, 'Request handling failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

/** The strategy for `app.connectMicroservice(...)` / `NestFactory.createMicroservice(...)`. */
export function createNatsMicroservice(options: NatsMicroserviceOptions): CustomStrategy & {
  strategy: ParleyNatsServer;
} {
  return { strategy: new ParleyNatsServer(options) };
}
