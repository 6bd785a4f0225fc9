import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import { DB_OPTIONS, type DbModuleOptions } from './db.module.js';
import { OutboxRelay, type OutboxPublisher, type OutboxRelayOptions } from './outbox-relay.js';

export interface OutboxModuleOptions extends Omit<OutboxRelayOptions, 'connection' | 'schema' | 'publisher'> {
  /** The provider that publishes to JetStream: `EventPublisher` of `@parley/nats`. */
  publisher: InjectionToken;
  /** Modules providing `publisher`, unless it is global (as `NatsModule` is). */
  imports?: ModuleMetadata['imports'];
  /** `DbModule`'s schema when omitted. */
  schema?: string;
  /** `DbModule`'s URL (the service login) when omitted. */
  connection?: OutboxRelayOptions['connection'];
}

/**
 * Runs the schema's `OutboxRelay` for the application's lifetime: it starts when the application
 * has booted and stops (finishing the publish in flight) before it shuts down. Needs `DbModule`
 * and the module that provides `publisher`.
 */
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxModuleOptions): DynamicModule {
    const { publisher, schema, connection, imports, ...relay } = options;
    return {
      module: OutboxModule,
      imports: imports ?? [],
      providers: [
        {
          provide: OutboxRelay,
          inject: [DB_OPTIONS, publisher],
          useFactory: (db: DbModuleOptions, events: OutboxPublisher) =>
            new OutboxRelay({
              ...relay,
              connection: connection ?? db.url,
              schema: schema ?? db.schema,
              publisher: events,
            }),
        },
      ],
      exports: [OutboxRelay],
    };
  }
}
