export * from './identity.contracts.js';
export * from './identity.schema.js';
export * from './identity.permissions.js';
