export * from './infrastructure.js';
export * from './isolation.js';
export * from './errors.js';
export * from './service-schema.js';
export * from './service-health.js';
export * from './machine-load.js';
