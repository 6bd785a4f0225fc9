export * from './conversation.contracts.js';
export * from './conversation.schema.js';
export * from './conversation.permissions.js';
