import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { serviceNames } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION, provisionServiceEventStream } from '@parley/nats';

/**
 * This service in the subject grammar: undefined while '{{name}}' is not listed in `serviceNames`
 * (contracts/src/subjects.ts), because until then it can have no event subjects and needs no stream.
 */
export const {{camelName}}EventService = serviceNames.find((name: string) => name === '{{name}}');

/**
 * At start-up: the service's event stream exists. Idempotent, so any number of instances may start
 * at once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = createLogger(BootstrapService.name);

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ({{camelName}}EventService === undefined) {
      this.logger.warn(
        { service: '{{name}}' },
        'The service is not in serviceNames of @parley/contracts yet, so it has no event stream',
      );
      return;
    }
    // The outbox relay publishes into this stream; it must exist before the first event.
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, {{camelName}}EventService);
  }
}
