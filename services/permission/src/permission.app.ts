import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import type { PermissionConfig } from './permission.config.js';
import { PermissionModule, type PermissionOverrides } from './permission.module.js';

/**
 * Builds and starts the permission service: NATS request handlers and the HTTP server (health,
 * metrics). `main.ts` and the integration tests start it the same way.
 */
export async function startPermission(
  config: PermissionConfig,
  overrides: PermissionOverrides = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(PermissionModule.forRoot(config, overrides), {
    bufferLogs: true,
    abortOnError: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  // Request handlers carry their own filter and contract checks (@RequestHandler); the HTTP filter
  // above stays on the HTTP side.
  app.connectMicroservice(
    createNatsMicroservice({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, queue: 'permission' }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
