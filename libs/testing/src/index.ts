export * from './infrastructure.js';
export * from './isolation.js';
export * from './errors.js';
