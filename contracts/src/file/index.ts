export * from './file.contracts.js';
export * from './file.schema.js';
export * from './file.permissions.js';
