import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { roomEnvelopeSchema, roomSubject, type RoomEnvelope, type RoomRef } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION } from '@parley/nats';
import { EdgeMetrics } from '../observability/edge-metrics.js';
import { roomKey } from './room-keys.js';

export type EnvelopeHandler = (room: RoomRef, envelope: RoomEnvelope) => void;

interface Held {
  readonly room: RoomRef;
  holders: number;
  readonly subscription: Subscription;
  /** Settles once the server has the subscription: what is published after it reaches us. */
  readonly ready: Promise<void>;
}

/**
 * The rooms this instance listens to: a core NATS subscription per room while anything here holds
 * it (a socket in a user or presence room, a followed conversation), none otherwise. An instance
 * therefore receives only the events of rooms where it has sockets, however many instances and
 * rooms there are.
 */
@Injectable()
export class RoomSubscriptions implements OnApplicationShutdown {
  private readonly logger = createLogger(RoomSubscriptions.name);
  private readonly held = new Map<string, Held>();
  private handler: EnvelopeHandler | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    private readonly metrics: EdgeMetrics,
  ) {}

  /** Where received envelopes go (the room dispatcher). */
  onEnvelope(handler: EnvelopeHandler): void {
    this.handler = handler;
  }

  /** Holds the room; resolves once envelopes published from now on are sure to arrive. */
  acquire(room: RoomRef): Promise<void> {
    const key = roomKey(room);
    const existing = this.held.get(key);
    if (existing !== undefined) {
      existing.holders += 1;
      return existing.ready;
    }
    const subscription = this.nats.subscribe(this.namespace.subject(roomSubject(room)), {
      callback: (error, message) => {
        if (error) {
          this.logger.error({ err: error, room: key }, 'Room subscription failed');
          return;
        }
        this.received(room, message.data);
      },
    });
    // A flush is a round trip: when it returns, the server has processed the SUB before it.
    const ready = this.nats.flush();
    this.held.set(key, { room, holders: 1, subscription, ready });
    this.metrics.rooms.inc({ kind: room.kind });
    return ready;
  }

  /** Lets go of the room; the subscription ends with its last holder. */
  release(room: RoomRef): void {
    const key = roomKey(room);
    const held = this.held.get(key);
    if (held === undefined) {
      return;
    }
    held.holders -= 1;
    if (held.holders > 0) {
      return;
    }
    this.held.delete(key);
    this.metrics.rooms.dec({ kind: room.kind });
    if (!this.nats.isClosed()) {
      held.subscription.unsubscribe();
    }
  }

  /** Whether this instance holds the room. */
  holds(room: RoomRef): boolean {
    return this.held.has(roomKey(room));
  }

  /** Publishes to the room on every instance that holds it (this one included). */
  publish(room: RoomRef, envelope: RoomEnvelope): void {
    this.nats.publish(this.namespace.subject(roomSubject(room)), JSON.stringify(envelope));
  }

  onApplicationShutdown(): void {
    for (const held of this.held.values()) {
      this.metrics.rooms.dec({ kind: held.room.kind });
      if (!this.nats.isClosed()) {
        held.subscription.unsubscribe();
      }
    }
    this.held.clear();
  }

  private received(room: RoomRef, data: Uint8Array): void {
    let parsed;
    try {
      parsed = roomEnvelopeSchema.safeParse(JSON.parse(new TextDecoder().decode(data)));
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !parsed.success) {
      this.logger.warn({ room: roomKey(room) }, 'Dropped an unreadable room envelope');
      return;
    }
    this.handler?.(room, parsed.data);
  }
}
