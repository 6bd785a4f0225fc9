import {
  defineCatalog,
  ParleyError,
  permissionRequests,
  validationError,
  type CatalogDeclaration,
  type RequestOf,
  type ServiceName,
} from '@parley/contracts';
import {
  defaultAbilityMaxEntries,
  defaultAbilityTtlMs,
  maxAbilityTtlMs,
  type AbilityCacheOptions,
} from './ability.cache.js';

/** What a service declares about its permissions: `defineCatalog(...)` of its `*.permissions.ts`. */
export type CatalogContent = Pick<CatalogDeclaration, 'domains' | 'permissions'> & {
  readonly service?: ServiceName;
};

export interface CatalogRegistrationOptions {
  /** Wait after the first failed attempt; doubles up to `maxDelayMs`. 250 ms when omitted. */
  initialDelayMs?: number;
  /** 30 s when omitted. */
  maxDelayMs?: number;
  /** Per attempt. 5 s when omitted. */
  timeoutMs?: number;
}

export interface PermissionsModuleOptions {
  /** The service whose handlers are guarded; may be left out when the catalog names it. */
  service?: ServiceName;
  /** The service's declared permissions, registered with the permission service at start-up. */
  catalog?: CatalogContent;
  /** Longest a cached entry is used when no change event arrives: 30 s by default, at most 30 s. */
  ttlMs?: number;
  /** Actors (per tenant) cached: 10,000 by default. */
  maxEntries?: number;
  /** How long a cache miss waits for the permission service; 5 s by default. */
  requestTimeoutMs?: number;
  registration?: CatalogRegistrationOptions;
}

export type CatalogRequest = RequestOf<typeof permissionRequests.registerCatalog>;

/** The options once checked, as the providers receive them. */
export interface PermissionsSettings {
  readonly service: ServiceName | undefined;
  /** The registration request, checked against the contract at start-up. */
  readonly catalog: CatalogRequest | undefined;
  readonly cache: AbilityCacheOptions;
  readonly registration: Required<CatalogRegistrationOptions>;
}

export const PERMISSIONS_SETTINGS = Symbol('PERMISSIONS_SETTINGS');

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ParleyError('validation_failed', `${name} must be an integer from 1 to ${max}`, {
      [name]: value,
    });
  }
  return value;
}

/** Checks the module options once, at start-up; a mistake stops the service before it serves. */
export function permissionsSettings(options: PermissionsModuleOptions): PermissionsSettings {
  const service = options.service ?? options.catalog?.service;
  if (
    options.service !== undefined &&
    options.catalog?.service !== undefined &&
    options.service !== options.catalog.service
  ) {
    throw new ParleyError(
      'validation_failed',
      `The catalog of ${options.catalog.service} cannot be registered by ${options.service}`,
    );
  }
  let catalog: CatalogRequest | undefined;
  if (options.catalog !== undefined) {
    if (service === undefined) {
      throw new ParleyError('validation_failed', 'Registering a catalog needs the service that declares it');
    }
    // The declaration rules (pattern, own domains, no duplicates), then the contract's limits.
    defineCatalog({ ...options.catalog, service });
    const request = permissionRequests.registerCatalog.request.safeParse({
      service,
      domains: options.catalog.domains.map((domain) => ({ ...domain })),
      permissions: options.catalog.permissions.map((entry) => ({
        ...entry,
        resourceTypes: [...entry.resourceTypes],
      })),
    });
    if (!request.success) {
      throw validationError('permission catalog', request.error);
    }
    catalog = request.data;
  }
  const registration = options.registration ?? {};
  const initialDelayMs = positiveInteger('initialDelayMs', registration.initialDelayMs ?? 250);
  return {
    service,
    catalog,
    cache: {
      ttlMs: positiveInteger('ttlMs', options.ttlMs ?? defaultAbilityTtlMs, maxAbilityTtlMs),
      maxEntries: positiveInteger('maxEntries', options.maxEntries ?? defaultAbilityMaxEntries),
      requestTimeoutMs: positiveInteger('requestTimeoutMs', options.requestTimeoutMs ?? 5000),
    },
    registration: {
      initialDelayMs,
      maxDelayMs: Math.max(initialDelayMs, positiveInteger('maxDelayMs', registration.maxDelayMs ?? 30_000)),
      timeoutMs: positiveInteger('timeoutMs', registration.timeoutMs ?? 5000),
    },
  };
}
