import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Namespace, NATS_CONNECTION, provisionServiceEventStream } from '@parley/nats';

/**
 * At start-up: the service's event stream exists before the outbox relay publishes into it.
 * Idempotent, so any number of instances may start at once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, 'notification');
  }
}
