export * from './contract.js';
export * from './errors.js';
export * from './headers.js';
export * from './principal.js';
export * from './subjects.js';
