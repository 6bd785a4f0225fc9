import { Injectable } from '@nestjs/common';
import { Metrics } from '@parley/observability';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** The edge's own series, beside the process metrics every service exports. */
@Injectable()
export class EdgeMetrics {
  /** Sockets connected to this instance now. */
  readonly connections: Gauge;
  /** Connection attempts, by outcome (`accepted`, or the refusal reason). */
  readonly handshakes: Counter<'outcome'>;
  /** Rooms this instance subscribes to on NATS now, by kind. */
  readonly rooms: Gauge<'kind'>;
  /** Client events received, by event and outcome (`ok`, or the error code). */
  readonly eventsIn: Counter<'event' | 'outcome'>;
  /** Server events written to sockets (one per socket reached), by event. */
  readonly eventsOut: Counter<'event'>;
  /** From when what an event reports happened to its emission on this instance, by event. */
  readonly deliveryLag: Histogram<'event'>;
  /** Platform events this instance consumed from the shared consumers, by outcome. */
  readonly consumed: Counter<'stream' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.connections = metrics.gauge({
      name: 'parley_realtime_connections',
      help: 'Sockets connected to this edge instance',
    });
    this.handshakes = metrics.counter({
      name: 'parley_realtime_handshakes_total',
      help: 'Connection attempts, by outcome (accepted, or the refusal reason)',
      labelNames: ['outcome'],
    });
    this.rooms = metrics.gauge({
      name: 'parley_realtime_rooms',
      help: 'Rooms this instance subscribes to on NATS (it has a socket in them), by kind',
      labelNames: ['kind'],
    });
    this.eventsIn = metrics.counter({
      name: 'parley_realtime_events_in_total',
      help: 'Client events received, by event and outcome (ok, or the error code)',
      labelNames: ['event', 'outcome'],
    });
    this.eventsOut = metrics.counter({
      name: 'parley_realtime_events_out_total',
      help: 'Server events written to sockets, one per socket reached, by event',
      labelNames: ['event'],
    });
    this.deliveryLag = metrics.histogram({
      name: 'parley_realtime_delivery_lag_seconds',
      help: 'From when an event happened to its emission to sockets on this instance, by event',
      labelNames: ['event'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.consumed = metrics.counter({
      name: 'parley_realtime_consumed_events_total',
      help: 'Platform events consumed by this instance from the shared consumers, by stream and outcome',
      labelNames: ['stream', 'outcome'],
    });
  }
}
