import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ResponseValidation } from '@parley/config';
import type { NatsConnection } from '@nats-io/transport-node';
import { createLogger } from '@parley/logging';
import { connectNats, NATS_CONNECTION } from './connection.js';
import { RESPONSE_VALIDATION } from './contract.interceptor.js';
import { EventConsumer } from './event.consumer.js';
import { EventPublisher } from './event.publisher.js';
import { Namespace } from './namespace.js';
import { NatsHealth } from './nats-health.service.js';
import { NatsRpcClient } from './nats-rpc.client.js';

export interface NatsModuleOptions {
  url: string;
  /** `NATS_NAMESPACE`; empty in production. */
  namespace?: string;
  /** Client name shown by the server: the service name. */
  name: string;
  /** `RESPONSE_VALIDATION`; `strict` when not given. */
  responseValidation?: ResponseValidation;
}

/** Drains the connection once everything else has stopped (consumers stop before shutdown). */
@Injectable()
export class NatsConnectionCloser implements OnApplicationShutdown {
  private readonly log = createLogger(NatsConnectionCloser.name);

  constructor(@Inject(NATS_CONNECTION) private readonly connection: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.connection.isClosed()) {
      return;
    }
    try {
      await this.connection.drain();
    } catch (error) {
      this.log.error({ err: error }, 'Draining the NATS connection failed');
    }
  }
}

/**
 * The process's NATS connection and what is built on it: `NATS_CONNECTION`, `Namespace`,
 * `NatsRpcClient`, `EventPublisher`, `EventConsumer`, `NatsHealth`; and `RESPONSE_VALIDATION`.
 * Global: import it once, in the root module of the service.
 */
@Global()
@Module({})
export class NatsModule {
  static forRoot(options: NatsModuleOptions): DynamicModule {
    const exported = [
      NATS_CONNECTION,
      Namespace,
      NatsRpcClient,
      EventPublisher,
      EventConsumer,
      NatsHealth,
      RESPONSE_VALIDATION,
    ];
    return {
      module: NatsModule,
      global: true,
      providers: [
        { provide: Namespace, useValue: new Namespace(options.namespace) },
        { provide: RESPONSE_VALIDATION, useValue: options.responseValidation ?? 'strict' },
        { provide: NATS_CONNECTION, useFactory: () => connectNats({ url: options.url, name: options.name }) },
        NatsRpcClient,
        EventPublisher,
        EventConsumer,
        NatsHealth,
        NatsConnectionCloser,
      ],
      exports: exported,
    };
  }
}
