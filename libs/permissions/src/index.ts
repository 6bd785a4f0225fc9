export * from './ability.js';
export * from './ability.cache.js';
export * from './permission.guard.js';
export * from './permissions.module.js';
export * from './requirement.js';
