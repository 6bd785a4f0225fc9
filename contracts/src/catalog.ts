import type { EventContract, RequestContract } from './contract.js';
import { conversationEvents, conversationRequests } from './conversation/conversation.contracts.js';
import { conversationCatalog } from './conversation/conversation.permissions.js';
import { fileEvents, fileRequests } from './file/file.contracts.js';
import { fileCatalog } from './file/file.permissions.js';
import { identityEvents, identityRequests } from './identity/identity.contracts.js';
import { identityCatalog } from './identity/identity.permissions.js';
import { notificationEvents, notificationRequests } from './notification/notification.contracts.js';
import { notificationCatalog } from './notification/notification.permissions.js';
import type { CatalogDeclaration } from './permission/catalog-declaration.js';
import { permissionEvents, permissionRequests } from './permission/permission.contracts.js';
import { permissionCatalog } from './permission/permission.permissions.js';

/** Every request and event contract of the platform; the generated documents are built from it. */
export const requestCatalog: readonly RequestContract[] = [
  ...Object.values(identityRequests),
  ...Object.values(permissionRequests),
  ...Object.values(conversationRequests),
  ...Object.values(notificationRequests),
  ...Object.values(fileRequests),
];
/**
 * Events of the services' JetStream streams. The file service's processing jobs (fileProcessing)
 * are left out: they are its own work queue, not something others subscribe to.
 */
export const eventCatalog: readonly EventContract[] = [
  ...Object.values(identityEvents),
  ...Object.values(permissionEvents),
  ...Object.values(conversationEvents),
  ...Object.values(notificationEvents),
  ...Object.values(fileEvents),
];

/** Every service's permission declarations; the permission catalog table in docs/ is built from it. */
export const permissionDeclarations: readonly CatalogDeclaration[] = [
  identityCatalog,
  permissionCatalog,
  conversationCatalog,
  notificationCatalog,
  fileCatalog,
];
