export * from './notification.contracts.js';
export * from './notification.schema.js';
export * from './notification.permissions.js';
