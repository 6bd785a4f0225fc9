export * from './infrastructure.js';
export * from './isolation.js';
