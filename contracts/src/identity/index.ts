export * from './identity.contracts.js';
export * from './identity.schema.js';
