export * from './token-verifier.js';
export * from './jwks-source.js';
export * from './auth.guard.js';
export * from './actor.decorator.js';
export * from './auth.module.js';
export { attachPrincipal, principalOf } from './principal-store.js';
