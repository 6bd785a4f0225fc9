import type { EventContract, RequestContract } from './contract.js';
import { identityEvents, identityRequests } from './identity/identity.contracts.js';

/** Every request and event contract of the platform; the generated documents are built from it. */
export const requestCatalog: readonly RequestContract[] = [...Object.values(identityRequests)];
export const eventCatalog: readonly EventContract[] = [...Object.values(identityEvents)];
