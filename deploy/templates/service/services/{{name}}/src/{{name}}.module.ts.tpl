import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@parley/auth';
import { identityRequests } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule, type DbModuleOptions } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import { EventPublisher, NatsHealth, NatsModule, NatsRpcClient } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule } from '@parley/permissions';
import { BootstrapService } from './bootstrap.service.js';
import type { {{Name}}Config } from './{{name}}.config.js';

/** The TypeORM entities of the {{schema}} schema, each mapping a table created in sql/{{name}}/. */
export const {{camelName}}Entities: DbModuleOptions['entities'] = [];

@Module({})
export class {{Name}}Module {
  static forRoot(config: {{Name}}Config): DynamicModule {
    return {
      module: {{Name}}Module,
      imports: [
        LoggingModule.forRoot({ service: '{{name}}', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: '{{name}}',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        DbModule.forRoot({ url: config.DATABASE_URL, schema: '{{schema}}', entities: {{camelName}}Entities }),
        OutboxModule.forRoot({ publisher: EventPublisher }),
        // Identity signs the access tokens; its public keys come over NATS and are cached, and
        // fetched again when a token names a key not seen yet.
        AuthModule.forRootAsync({
          inject: [NatsRpcClient],
          useFactory: (rpc: NatsRpcClient) => ({
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
            jwks: () => rpc.request(identityRequests.getJwks, {}),
          }),
        }),
        // Every handler declares its requirement (@RequirePermissions, @AuthenticatedOnly or
        // @Public). Once the service has permissions of its own, declare them in a catalog in
        // contracts/ and pass it here: they are registered with the permission service at start-up.
        PermissionsModule.forRoot(),
        ObservabilityModule.forRootAsync({
          service: '{{name}}',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [],
      providers: [BootstrapService],
    };
  }
}
