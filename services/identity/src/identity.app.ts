import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import { connectGuardedMicroservice } from '@parley/permissions';
import type { IdentityConfig } from './identity.config.js';
import { IdentityModule, type IdentityOverrides } from './identity.module.js';

/**
 * Builds and starts the identity service: NATS request handlers and the HTTP API (login, JWKS,
 * health, metrics). `main.ts` and the integration tests start it the same way.
 */
export async function startIdentity(
  config: IdentityConfig,
  overrides: IdentityOverrides = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(IdentityModule.forRoot(config, overrides), {
    bufferLogs: true,
    abortOnError: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  // Request handlers carry their own filter and contract checks (@RequestHandler); the HTTP filter
  // above stays on the HTTP side. PermissionGuard runs on every request handler as on every route.
  connectGuardedMicroservice(
    app,
    createNatsMicroservice({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, queue: 'identity' }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
