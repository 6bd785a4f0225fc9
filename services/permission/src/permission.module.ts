import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule, httpJwksSource } from '@parley/auth';
import { identityRequests } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule, type DbModuleOptions } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import { EventPublisher, NatsHealth, NatsModule, NatsRpcClient } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { AccessPolicy } from './access.policy.js';
import { AssignmentEntity } from './assignments/assignment.entity.js';
import { AssignmentsHandler } from './assignments/assignments.handler.js';
import { AssignmentsRepository } from './assignments/assignments.repository.js';
import { AssignmentsService } from './assignments/assignments.service.js';
import { StandingsService } from './assignments/standings.service.js';
import { BootstrapService } from './bootstrap.service.js';
import { PermissionDomainEntity, PermissionEntity } from './catalog/catalog.entity.js';
import { CatalogHandler } from './catalog/catalog.handler.js';
import { CatalogRepository } from './catalog/catalog.repository.js';
import { CatalogService } from './catalog/catalog.service.js';
import { ChecksHandler } from './evaluation/checks.handler.js';
import { ChecksService } from './evaluation/checks.service.js';
import { EvaluationService } from './evaluation/evaluation.service.js';
import { PermissionSetEntity, PermissionSetMemberEntity } from './permission-sets/permission-set.entity.js';
import { PermissionSetsHandler } from './permission-sets/permission-sets.handler.js';
import { PermissionSetsRepository } from './permission-sets/permission-sets.repository.js';
import { PermissionSetsService } from './permission-sets/permission-sets.service.js';
import { permissionOptionsFrom, type PermissionConfig } from './permission.config.js';
import { CLOCK, PERMISSION_OPTIONS, type Clock } from './permission.options.js';
import { IdentityEventsConsumer } from './tenants/identity-events.consumer.js';
import { PlatformTenant } from './tenants/platform-tenant.service.js';
import { TenantEntity } from './tenants/tenant.entity.js';
import { TenantsRepository } from './tenants/tenants.repository.js';

/** The TypeORM entities of the permission schema, each mapping a table created in sql/permission/. */
export const permissionEntities: DbModuleOptions['entities'] = [
  PermissionDomainEntity,
  PermissionEntity,
  PermissionSetEntity,
  PermissionSetMemberEntity,
  AssignmentEntity,
  TenantEntity,
];

export interface PermissionOverrides {
  /** The time every evaluation uses; the system clock when omitted. */
  clock?: Clock;
}

@Module({})
export class PermissionModule {
  static forRoot(config: PermissionConfig, overrides: PermissionOverrides = {}): DynamicModule {
    const jwksUrl = config.PERMISSION_JWKS_URL;
    return {
      module: PermissionModule,
      imports: [
        LoggingModule.forRoot({ service: 'permission', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'permission',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        DbModule.forRoot({ url: config.DATABASE_URL, schema: 'permission', entities: permissionEntities }),
        OutboxModule.forRoot({ publisher: EventPublisher }),
        // Identity signs the access tokens; its public keys are fetched (over HTTP when configured,
        // else over NATS), cached, and fetched again when a token names a key not seen yet.
        AuthModule.forRootAsync({
          inject: [NatsRpcClient],
          useFactory: (rpc: NatsRpcClient) => ({
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
            jwks:
              jwksUrl === undefined
                ? () => rpc.request(identityRequests.getJwks, {})
                : httpJwksSource(jwksUrl),
          }),
        }),
        ObservabilityModule.forRootAsync({
          service: 'permission',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [ChecksHandler, CatalogHandler, PermissionSetsHandler, AssignmentsHandler],
      providers: [
        { provide: PERMISSION_OPTIONS, useValue: permissionOptionsFrom(config) },
        { provide: CLOCK, useValue: overrides.clock ?? (() => new Date()) },
        CatalogRepository,
        PermissionSetsRepository,
        AssignmentsRepository,
        TenantsRepository,
        PlatformTenant,
        EvaluationService,
        AccessPolicy,
        ChecksService,
        CatalogService,
        PermissionSetsService,
        AssignmentsService,
        StandingsService,
        BootstrapService,
        IdentityEventsConsumer,
      ],
    };
  }
}
