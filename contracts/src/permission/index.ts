export * from './permission.contracts.js';
export * from './permission.schema.js';
export * from './catalog-declaration.js';
export * from './permission.permissions.js';
