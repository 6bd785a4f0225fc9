export * from './contract-body.pipe.js';
export * from './http-error.filter.js';
export * from './http-app.js';
