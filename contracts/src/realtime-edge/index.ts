export * from './socket-contract.js';
export * from './realtime-edge.schema.js';
export * from './realtime-edge.rooms.js';
export * from './realtime-edge.contracts.js';
