import type { INestApplication } from '@nestjs/common';
import { startGuardedService } from '@parley/permissions';
import type { ConversationConfig } from './conversation.config.js';
import { ConversationModule, type ConversationOverrides } from './conversation.module.js';

/**
 * Builds and starts the conversation service: NATS request handlers and the HTTP server (health,
 * metrics).
 */
export function startConversation(
  config: ConversationConfig,
  overrides: ConversationOverrides = {},
): Promise<INestApplication> {
  return startGuardedService(ConversationModule.forRoot(config, overrides), {
    ...config,
    queue: 'conversation',
  });
}
