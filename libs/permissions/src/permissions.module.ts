import { Module, type DynamicModule, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { ABILITY_CACHE_OPTIONS, AbilityCache } from './ability.cache.js';
import { CatalogRegistration } from './catalog-registration.service.js';
import { PermissionChecker } from './permission.checker.js';
import { PermissionGuard } from './permission.guard.js';
import {
  PERMISSIONS_SETTINGS,
  permissionsSettings,
  type PermissionsModuleOptions,
} from './permissions.options.js';
import { RequirementAudit } from './requirement-audit.service.js';
import { declareObservabilityPublic } from './observability-requirements.js';

@Module({})
export class PermissionsModule {
  /**
   * Global: `PermissionGuard` as APP_GUARD (every HTTP route and gateway message must declare a
   * requirement; NATS handlers get it through `connectGuardedMicroservice`), `PermissionChecker`,
   * `AbilityCache`, the catalog registration and the start-up report of undeclared handlers.
   * Needs `AuthModule` and `NatsModule`; uses `Metrics` when `ObservabilityModule` is there.
   * Throws at once on bad options (malformed catalog, TTL above 30 s).
   */
  static forRoot(options: PermissionsModuleOptions = {}): DynamicModule {
    declareObservabilityPublic();
    const settings = permissionsSettings(options);
    return {
      module: PermissionsModule,
      global: true,
      imports: [DiscoveryModule],
      providers: [
        { provide: PERMISSIONS_SETTINGS, useValue: settings },
        { provide: ABILITY_CACHE_OPTIONS, useValue: settings.cache },
        AbilityCache,
        PermissionChecker,
        PermissionGuard,
        CatalogRegistration,
        RequirementAudit,
        { provide: APP_GUARD, useExisting: PermissionGuard },
      ],
      exports: [AbilityCache, PermissionChecker, PermissionGuard, CatalogRegistration, RequirementAudit],
    };
  }
}

/** What Nest's concrete microservice offers beyond `INestMicroservice` (Nest 10 and later). */
interface ConnectedMicroservice extends INestMicroservice {
  registerListeners(): void;
  setIsInitialized(initialized: boolean): void;
  setIsInitHookCalled(called: boolean): void;
}

function isConnected(microservice: INestMicroservice): microservice is ConnectedMicroservice {
  const candidate = microservice as Partial<ConnectedMicroservice>;
  return (
    typeof candidate.registerListeners === 'function' &&
    typeof candidate.setIsInitialized === 'function' &&
    typeof candidate.setIsInitHookCalled === 'function'
  );
}

/**
 * Connects a NATS microservice to a hybrid application with PermissionGuard on every handler, in
 * place of `app.connectMicroservice(options)`. APP_GUARD reaches the application's own
 * configuration only (HTTP routes, gateways); a connected microservice has its own, and its guards
 * must be set before its listeners are registered. The rest is what `connectMicroservice` does
 * without deferral: listeners registered now, lifecycle hooks left to the application (deferring
 * them would run every provider's bootstrap hooks a second time).
 */
export function connectGuardedMicroservice(
  app: INestApplication,
  options: MicroserviceOptions,
): INestMicroservice {
  const microservice = app.connectMicroservice(options, { deferInitialization: true });
  microservice.useGlobalGuards(app.get(PermissionGuard));
  /* c8 ignore next 5 -- every supported Nest version has these; an older one initialises on listen */
  if (isConnected(microservice)) {
    microservice.registerListeners();
    microservice.setIsInitialized(true);
    microservice.setIsInitHookCalled(true);
  }
  return microservice;
}
