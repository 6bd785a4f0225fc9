import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@parley/auth';
import { identityCatalog } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import { EventPublisher, NatsHealth, NatsModule } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule } from '@parley/permissions';
import { BootstrapService, PLATFORM_OPERATOR } from './bootstrap.service.js';
import { PasswordHasher } from './crypto/password-hasher.js';
import { identityOptionsFrom, type IdentityConfig } from './identity.config.js';
import { CLOCK, IDENTITY_OPTIONS, type Clock } from './identity.options.js';
import { IdentityController } from './http/identity.controller.js';
import { JwksHandler } from './keys/jwks.handler.js';
import { SigningKeyEntity } from './keys/signing-key.entity.js';
import { SigningKeysService } from './keys/signing-keys.service.js';
import { RefreshTokenEntity, SessionEntity } from './sessions/session.entity.js';
import { SessionsHandler } from './sessions/sessions.handler.js';
import { SessionsService } from './sessions/sessions.service.js';
import { TenantEntity } from './tenants/tenant.entity.js';
import { TenantsHandler } from './tenants/tenants.handler.js';
import { TenantsService } from './tenants/tenants.service.js';
import { CredentialEntity, UserEntity } from './users/user.entity.js';
import { UsersHandler } from './users/users.handler.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';

export const identityEntities = [
  TenantEntity,
  UserEntity,
  CredentialEntity,
  SessionEntity,
  RefreshTokenEntity,
  SigningKeyEntity,
];

export interface IdentityOverrides {
  clock?: Clock;
  passwordHasher?: PasswordHasher;
}

/** Settings and the signing keys, needed by the token verifier as well as by the services. */
@Module({})
class IdentityCoreModule {
  static forRoot(config: IdentityConfig, overrides: IdentityOverrides): DynamicModule {
    return {
      module: IdentityCoreModule,
      global: true,
      providers: [
        { provide: IDENTITY_OPTIONS, useValue: identityOptionsFrom(config) },
        { provide: CLOCK, useValue: overrides.clock ?? (() => new Date()) },
        { provide: PasswordHasher, useValue: overrides.passwordHasher ?? new PasswordHasher() },
        SigningKeysService,
      ],
      exports: [IDENTITY_OPTIONS, CLOCK, PasswordHasher, SigningKeysService],
    };
  }
}

@Module({})
export class IdentityModule {
  static forRoot(config: IdentityConfig, overrides: IdentityOverrides = {}): DynamicModule {
    return {
      module: IdentityModule,
      imports: [
        LoggingModule.forRoot({ service: 'identity', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'identity',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        DbModule.forRoot({ url: config.DATABASE_URL, schema: 'identity', entities: identityEntities }),
        IdentityCoreModule.forRoot(config, overrides),
        OutboxModule.forRoot({ publisher: EventPublisher }),
        // Identity verifies its own tokens against its own keys, without a round trip.
        AuthModule.forRootAsync({
          inject: [SigningKeysService],
          useFactory: (keys: SigningKeysService) => ({
            issuer: config.IDENTITY_ISSUER,
            audience: config.IDENTITY_AUDIENCE,
            jwks: () => keys.jwks(),
          }),
        }),
        // Every handler declares its requirement; permissions are checked from the actor's compiled
        // permissions, fetched from the permission service and cached. Until that service answers,
        // public and authenticated-only handlers work and the others answer `unavailable`.
        PermissionsModule.forRoot({ catalog: identityCatalog }),
        ObservabilityModule.forRootAsync({
          service: 'identity',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [IdentityController, SessionsHandler, UsersHandler, TenantsHandler, JwksHandler],
      providers: [
        {
          provide: PLATFORM_OPERATOR,
          useValue: {
            email: config.IDENTITY_PLATFORM_OPERATOR_EMAIL,
            password: config.IDENTITY_PLATFORM_OPERATOR_PASSWORD,
          },
        },
        UsersRepository,
        UsersService,
        SessionsService,
        TenantsService,
        BootstrapService,
      ],
    };
  }
}
