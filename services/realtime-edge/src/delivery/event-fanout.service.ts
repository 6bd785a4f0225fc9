import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  conversationEvents,
  eventStreamName,
  eventStreamSubjects,
  identityEvents,
  notificationEvents,
  type EventContract,
  type ServiceName,
} from '@parley/contracts';
import { createLogger } from '@parley/logging';
import {
  EventConsumer,
  Namespace,
  NATS_CONNECTION,
  provisionServiceEventStream,
  type ConsumedEvent,
  type ConsumerHandle,
} from '@parley/nats';
import { RevocationStore } from '../auth/revocation.store.js';
import { EdgeMetrics } from '../observability/edge-metrics.js';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { RoomSubscriptions } from '../rooms/room-subscriptions.service.js';
import { routeEvent } from './event-routes.js';

/** A stream whose events reach sockets. */
interface Source {
  readonly service: ServiceName;
  readonly contracts: readonly EventContract[];
}

const sources: readonly Source[] = [
  { service: 'conversation', contracts: Object.values(conversationEvents) },
  { service: 'notification', contracts: Object.values(notificationEvents) },
  { service: 'identity', contracts: Object.values(identityEvents) },
];

/** First and longest wait before trying again to start a consumer that could not be started. */
const retryDelays = { initialMs: 500, maxMs: 15_000 };

/**
 * Reads the platform's events once for all edge instances and hands each to the rooms it concerns.
 *
 * Every instance pulls from the same durable consumer per stream, so JetStream gives each event to
 * one instance (which acks it after publishing). That instance resolves the rooms (`routeEvent`)
 * and publishes one envelope per room on the room's core NATS subject, which only the instances
 * with sockets in that room subscribe to. Work per event is therefore independent of the number of
 * instances. A new consumer starts with the events published from then on; an existing one resumes
 * where it stopped.
 */
@Injectable()
export class EventFanout implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(EventFanout.name);
  private readonly handles: ConsumerHandle[] = [];
  private readonly retries = new Set<NodeJS.Timeout>();
  private stopping = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    private readonly consumer: EventConsumer,
    private readonly subscriptions: RoomSubscriptions,
    private readonly revocations: RevocationStore,
    private readonly metrics: EdgeMetrics,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.stopping = false;
    for (const source of sources) {
      void this.start(source, retryDelays.initialMs);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.retries) {
      clearTimeout(timer);
    }
    this.retries.clear();
    await Promise.all(this.handles.splice(0).map((handle) => handle.stop()));
  }

  /** Handles one event: records a revocation first, then publishes to every room concerned. */
  async handle(service: ServiceName, event: ConsumedEvent): Promise<void> {
    const route = routeEvent(service, event.type, event.tenantId, event.payload);
    if (route.revocation !== undefined) {
      await this.revocations.record(event.tenantId, route.revocation.sessionId, route.revocation.reason);
    }
    for (const delivery of route.deliveries) {
      this.subscriptions.publish(delivery.room, delivery.envelope);
    }
  }

  /**
   * Starts the shared consumer of one stream. A stream whose service has not started yet is
   * created as that service would create it (idempotent), so the consumer starts at once and
   * misses nothing the service publishes later; a failure (NATS unreachable) is tried again.
   */
  private async start(source: Source, delayMs: number): Promise<void> {
    if (this.stopping) {
      return;
    }
    const stream = eventStreamName(source.service);
    const durable = `realtime-edge-${source.service}`;
    try {
      const manager = await jetstreamManager(this.nats);
      await provisionServiceEventStream(manager, this.namespace, source.service);
      const handle = await this.consumer.consume({
        stream,
        durable,
        filterSubjects: eventStreamSubjects(source.service),
        contract: [...source.contracts],
        consumerService: 'realtime-edge',
        deliverPolicy: 'new',
        description: 'Realtime edge: events for sockets, shared by every edge instance',
        prefetch: this.settings.consumerPrefetch,
        handler: (event) => this.handle(source.service, event),
        onOutcome: (outcome) => this.metrics.consumed.inc({ stream, outcome }),
      });
      if (this.stopping) {
        await handle.stop();
        return;
      }
      this.handles.push(handle);
      this.logger.info({ stream, durable }, 'Consuming events for sockets');
    } catch (error) {
      this.logger.info(
        { stream, err: error, retryInMs: delayMs },
        'Cannot consume the stream yet; will try again',
      );
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        void this.start(source, Math.min(delayMs * 2, retryDelays.maxMs));
      }, delayMs);
      this.retries.add(timer);
    }
  }
}
