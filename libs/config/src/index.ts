export * from './variable.js';
export * from './config.js';
export * from './common.js';
export * from './config.module.js';
