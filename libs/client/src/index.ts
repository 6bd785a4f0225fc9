export {
  ConversationPositions,
  type Arrival,
  type Change,
  type Standpoint,
} from './conversation-positions.js';
export {
  newClientMessageId,
  ParleyClient,
  ParleyClientError,
  type ParleyClientOptions,
  type Resumption,
  type ServerEventName,
  type ServerEvents,
  type TokenSource,
} from './parley-client.js';
