export * from './contract.js';
export * from './errors.js';
export * from './headers.js';
export * from './principal.js';
export * from './subjects.js';
export * from './common.js';
export * from './identity/index.js';
export * from './catalog.js';
