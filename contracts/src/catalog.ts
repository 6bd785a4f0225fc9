import type { EventContract, RequestContract } from './contract.js';
import { identityEvents, identityRequests } from './identity/identity.contracts.js';
import { identityCatalog } from './identity/identity.permissions.js';
import type { CatalogDeclaration } from './permission/catalog-declaration.js';
import { permissionEvents, permissionRequests } from './permission/permission.contracts.js';
import { permissionCatalog } from './permission/permission.permissions.js';

/** Every request and event contract of the platform; the generated documents are built from it. */
export const requestCatalog: readonly RequestContract[] = [
  ...Object.values(identityRequests),
  ...Object.values(permissionRequests),
];
export const eventCatalog: readonly EventContract[] = [
  ...Object.values(identityEvents),
  ...Object.values(permissionEvents),
];

/** Every service's permission declarations; the permission catalog table in docs/ is built from it. */
export const permissionDeclarations: readonly CatalogDeclaration[] = [identityCatalog, permissionCatalog];
