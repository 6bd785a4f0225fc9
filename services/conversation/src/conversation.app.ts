import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import { connectGuardedMicroservice } from '@parley/permissions';
import type { ConversationConfig } from './conversation.config.js';
import { ConversationModule, type ConversationOverrides } from './conversation.module.js';

/**
 * Builds and starts the conversation service: NATS request handlers, each behind PermissionGuard,
 * and the HTTP server (health, metrics). `main.ts` and the integration tests start it the same way.
 */
export async function startConversation(
  config: ConversationConfig,
  overrides: ConversationOverrides = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(ConversationModule.forRoot(config, overrides), {
    bufferLogs: true,
    abortOnError: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  // Request handlers carry their own filter and contract checks (@RequestHandler); the guard
  // enforces each handler's declared requirement before them.
  connectGuardedMicroservice(
    app,
    createNatsMicroservice({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, queue: 'conversation' }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
