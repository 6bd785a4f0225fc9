import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { permissionCatalog } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION, provisionServiceEventStream } from '@parley/nats';
import { CatalogService } from './catalog/catalog.service.js';

/**
 * At start-up: the service's event stream exists and its own catalog is registered (locally: the
 * migrations seed it, so this changes something only when the contracts gained a permission).
 * Idempotent, so any number of instances may start at once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = createLogger(BootstrapService.name);

  constructor(
    private readonly catalog: CatalogService,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The outbox relay publishes into this stream; it must exist before the first event.
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, 'permission');
    const { added } = await this.catalog.register(permissionCatalog);
    if (added.length > 0) {
      this.logger.info({ added }, 'Registered new permissions of the permission service');
    }
  }
}
