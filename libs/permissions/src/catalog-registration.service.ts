import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ParleyError, permissionRequests } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { NatsRpcClient } from '@parley/nats';
import {
  PERMISSIONS_SETTINGS,
  type CatalogRequest,
  type PermissionsSettings,
} from './permissions.options.js';

/**
 * Registers the service's catalog with the permission service (`permission.v1.catalog.register`,
 * no actor) in the background: start-up never waits for it and never fails because of it. A failed
 * attempt is logged and retried after `initialDelayMs`, doubling up to `maxDelayMs`, until one
 * succeeds or the application stops. Registering is idempotent on the permission service's side.
 */
@Injectable()
export class CatalogRegistration implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(CatalogRegistration.name);
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private done = false;
  private tries = 0;
  private resolveRegistered: () => void = () => undefined;
  /** Settles once the catalog is registered (never, when there is no catalog). */
  readonly registered: Promise<void>;

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(PERMISSIONS_SETTINGS) private readonly settings: PermissionsSettings,
  ) {
    this.registered = new Promise((resolve) => {
      this.resolveRegistered = resolve;
    });
  }

  /** Attempts made so far. */
  get attempts(): number {
    return this.tries;
  }

  get isRegistered(): boolean {
    return this.done;
  }

  onApplicationBootstrap(): void {
    // A hybrid application may call bootstrap hooks more than once.
    if (this.started || this.settings.catalog === undefined) {
      return;
    }
    this.started = true;
    this.stopped = false;
    this.attempt(this.settings.catalog, this.settings.registration.initialDelayMs);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private attempt(catalog: CatalogRequest, delayMs: number): void {
    this.tries += 1;
    const attempt = this.tries;
    this.rpc
      .request(permissionRequests.registerCatalog, catalog, {
        timeoutMs: this.settings.registration.timeoutMs,
      })
      .then(
        (result) => {
          this.done = true;
          this.logger.info(
            { service: catalog.service, added: result.added, unchanged: result.unchanged, attempt },
            'Permission catalog registered',
          );
          this.resolveRegistered();
        },
        (error: unknown) => {
          if (this.stopped) {
            return;
          }
          const record = { err: error, service: catalog.service, attempt, retryInMs: delayMs };
          // Unavailable heals by itself; a refusal needs someone to look at the declarations.
          if (error instanceof ParleyError && error.code === 'unavailable') {
            this.logger.warn(record, 'Permission catalog not registered yet; will retry');
          } else {
            this.logger.error(record, 'The permission service refused the catalog; will retry');
          }
          this.timer = setTimeout(
            () => this.attempt(catalog, Math.min(delayMs * 2, this.settings.registration.maxDelayMs)),
            delayMs,
          );
          this.timer.unref();
        },
      );
  }
}
