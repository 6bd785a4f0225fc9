import type { ServiceName } from '../subjects.js';
import { permissionDomainPattern, permissionPattern, type ResourceType } from './permission.schema.js';

/** What one service declares about the permissions its handlers require. */
export interface CatalogDeclaration {
  readonly service: ServiceName;
  readonly domains: ReadonlyArray<{ readonly domain: string; readonly description: string }>;
  readonly permissions: ReadonlyArray<{
    readonly permission: string;
    readonly description: string;
    readonly resourceTypes: readonly ResourceType[];
  }>;
}

/**
 * Declares a service's permissions. Every permission must match the one pattern and belong to a
 * domain the same declaration names; a mistake fails at module load, long before a request.
 */
export function defineCatalog<const D extends CatalogDeclaration>(declaration: D): D {
  const domains = new Set(declaration.domains.map((entry) => entry.domain));
  for (const domain of domains) {
    if (!permissionDomainPattern.test(domain)) {
      throw new Error(`Invalid permission domain "${domain}" declared by ${declaration.service}`);
    }
  }
  const seen = new Set<string>();
  for (const { permission } of declaration.permissions) {
    if (!permissionPattern.test(permission)) {
      throw new Error(`Invalid permission "${permission}" declared by ${declaration.service}`);
    }
    if (!domains.has(permission.split(':')[0] as string)) {
      throw new Error(`Permission "${permission}" of ${declaration.service} is outside its declared domains`);
    }
    if (seen.has(permission)) {
      throw new Error(`Permission "${permission}" is declared twice by ${declaration.service}`);
    }
    seen.add(permission);
  }
  return declaration;
}
