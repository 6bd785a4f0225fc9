import { Inject, Injectable } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource, type EntityManager } from 'typeorm';
import { eventFilter, eventStreamName, type EventContract, type ServiceName } from '@parley/contracts';
import { PgIdempotencyStore } from '@parley/db';
import {
  EventConsumer,
  Namespace,
  NATS_CONNECTION,
  provisionServiceEventStream,
  type ConsumedEvent,
  type ConsumerHandle,
} from '@parley/nats';
import {
  CLOCK,
  NOTIFICATION_OPTIONS,
  type Clock,
  type NotificationOptions,
} from '../notification.options.js';

/** One consumed event, with whether it is recent enough to notify anyone. */
export interface FollowedEvent extends ConsumedEvent {
  /** False for an event older than NOTIFICATION_EVENT_MAX_AGE: copies are updated, nobody is notified. */
  readonly isFresh: boolean;
}

export interface FollowSpec {
  /** The service whose event stream is read. */
  service: ServiceName;
  durable: string;
  /** The event types to receive: one filter (NATS 2.9 takes one per consumer), or every event. */
  type?: string;
  contracts: readonly EventContract[];
  handle(manager: EntityManager, event: FollowedEvent): Promise<void>;
}

/**
 * Runs a durable consumer of another service's event stream the notification service's way:
 * each message is handled once, in one transaction with its claim in `processed_messages`, so the
 * copies, the notifications and their outbox events commit together or not at all; a redelivered
 * message finds its claim and changes nothing.
 */
@Injectable()
export class EventFollower {
  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: EventConsumer,
    private readonly idempotency: PgIdempotencyStore,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async follow(spec: FollowSpec): Promise<ConsumerHandle> {
    // The stream may not exist yet (its service starting later); creating it is idempotent and
    // gives it the settings its own service gives it.
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, spec.service);
    return this.consumer.consume({
      stream: eventStreamName(spec.service),
      durable: spec.durable,
      filterSubjects: [eventFilter(spec.service, spec.type ?? '>')],
      contract: [...spec.contracts],
      consumerService: 'notification',
      handler: (event) =>
        this.dataSource.transaction(async (manager) => {
          if (await this.idempotency.claim(manager, spec.durable, event.msgId)) {
            const age = eventAgeMs(event.msgId, this.clock());
            await spec.handle(manager, {
              ...event,
              isFresh: age === undefined || age <= this.options.eventMaxAgeMs,
            });
          }
        }),
    });
  }
}

const uuidV7 = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * How old an event is, read from its id: outbox event ids are version-7 UUIDs, which begin with
 * the millisecond they were made. Undefined for an id of another form (its age is unknown).
 */
export function eventAgeMs(msgId: string, now: Date): number | undefined {
  const match = uuidV7.exec(msgId);
  if (match === null) {
    return undefined;
  }
  const madeAt = Number.parseInt(`${match[1]}${match[2]}`, 16);
  return now.getTime() - madeAt;
}
