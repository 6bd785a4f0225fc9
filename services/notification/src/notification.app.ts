import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import { connectGuardedMicroservice } from '@parley/permissions';
import type { NotificationConfig } from './notification.config.js';
import { NotificationModule, type NotificationOverrides } from './notification.module.js';

/**
 * Builds and starts the notification service: NATS request handlers, each behind PermissionGuard,
 * the event consumers and workers, and the HTTP server (health, metrics). `main.ts` and the
 * integration tests start it the same way.
 */
export async function startNotification(
  config: NotificationConfig,
  overrides: NotificationOverrides = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(NotificationModule.forRoot(config, overrides), {
    bufferLogs: true,
    abortOnError: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  // Request handlers carry their own filter and contract checks (@RequestHandler); the guard
  // enforces each handler's declared requirement before them.
  connectGuardedMicroservice(
    app,
    createNatsMicroservice({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, queue: 'notification' }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
