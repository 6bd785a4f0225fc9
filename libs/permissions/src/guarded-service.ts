import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import { connectGuardedMicroservice } from './permissions.module.js';

export interface GuardedServiceSettings {
  /** The NATS queue group of the service's request handlers: its name. */
  queue: string;
  NATS_URL: string;
  NATS_NAMESPACE: string;
  HTTP_PORT: number;
  /** false: no body parser (a route that streams its body itself, such as uploads). */
  bodyParser?: boolean;
}

/**
 * Builds and starts a service as every Parley service runs: one Nest application with the HTTP
 * server (its routes, health, metrics) and the NATS request handlers in the service's queue group,
 * PermissionGuard in front of both. Request handlers carry their own filter and contract checks
 * (@RequestHandler); the HTTP error filter stays on the HTTP side. `main.ts` and the integration
 * tests start a service the same way.
 */
export async function startGuardedService(
  module: DynamicModule,
  settings: GuardedServiceSettings,
): Promise<INestApplication> {
  const app = await NestFactory.create(module, {
    bufferLogs: true,
    abortOnError: false,
    ...(settings.bodyParser === false ? { bodyParser: false } : {}),
  });
  useLogging(app);
  prepareHttpApp(app);
  connectGuardedMicroservice(
    app,
    createNatsMicroservice({
      url: settings.NATS_URL,
      namespace: settings.NATS_NAMESPACE,
      queue: settings.queue,
    }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(settings.HTTP_PORT, '0.0.0.0');
  return app;
}
