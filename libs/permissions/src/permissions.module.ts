import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type INestMicroservice,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { permissionRequests, type CatalogDeclaration } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { NatsRpcClient } from '@parley/nats';
import { ABILITY_CACHE_OPTIONS, AbilityCache } from './ability.cache.js';
import { PermissionGuard } from './permission.guard.js';

export interface PermissionsModuleOptions {
  /** The service's declarations, registered with the permission service at start-up. */
  catalog?: CatalogDeclaration;
  ttlMs?: number;
  maxEntries?: number;
}

const CATALOG = Symbol('CATALOG');

/** Registers the catalog in the background, retrying with capped backoff; never blocks start-up. */
@Injectable()
export class CatalogRegistration implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(CatalogRegistration.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Settles once the catalog is registered. */
  readonly registered: Promise<void>;
  private resolveRegistered: () => void = () => undefined;

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(CATALOG) private readonly catalog: CatalogDeclaration | undefined,
  ) {
    this.registered = new Promise((resolve) => {
      this.resolveRegistered = resolve;
    });
  }

  onApplicationBootstrap(): void {
    if (this.catalog) {
      this.attempt(this.catalog, 250);
    }
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private attempt(catalog: CatalogDeclaration, delayMs: number): void {
    const request = {
      service: catalog.service,
      domains: catalog.domains.map((domain) => ({ ...domain })),
      permissions: catalog.permissions.map((entry) => ({
        ...entry,
        resourceTypes: [...entry.resourceTypes],
      })),
    };
    this.rpc.request(permissionRequests.registerCatalog, request, { timeoutMs: 2000 }).then(
      (result) => {
        this.logger.info({ added: result.added.length }, 'Permission catalog registered');
        this.resolveRegistered();
      },
      (error: unknown) => {
        if (this.stopped) {
          return;
        }
        this.logger.warn({ err: error, retryInMs: delayMs }, 'Permission catalog not registered yet');
        this.timer = setTimeout(() => this.attempt(catalog, Math.min(delayMs * 2, 30_000)), delayMs);
        this.timer.unref();
      },
    );
  }
}

@Module({})
export class PermissionsModule {
  /**
   * The global PermissionGuard (every handler must declare a requirement), the actor permission
   * cache, and the catalog registration. Needs AuthModule and NatsModule.
   */
  static forRoot(options: PermissionsModuleOptions = {}): DynamicModule {
    return {
      module: PermissionsModule,
      global: true,
      providers: [
        {
          provide: ABILITY_CACHE_OPTIONS,
          useValue: { ttlMs: options.ttlMs ?? 30_000, maxEntries: options.maxEntries ?? 10_000 },
        },
        { provide: CATALOG, useValue: options.catalog },
        AbilityCache,
        PermissionGuard,
        CatalogRegistration,
        { provide: APP_GUARD, useExisting: PermissionGuard },
      ],
      exports: [AbilityCache, PermissionGuard, CatalogRegistration],
    };
  }
}

/**
 * Connects a NATS microservice to a hybrid application with the PermissionGuard on every handler:
 * APP_GUARD covers the HTTP side only, and a connected microservice has its own configuration,
 * which must be set before its listeners are registered.
 */
export function connectGuardedMicroservice(
  app: INestApplication,
  options: MicroserviceOptions,
): INestMicroservice {
  const microservice = app.connectMicroservice(options, { deferInitialization: true });
  microservice.useGlobalGuards(app.get(PermissionGuard));
  return microservice;
}
