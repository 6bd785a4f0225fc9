import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { createNatsMicroservice } from '@parley/nats';
import { connectGuardedMicroservice } from '@parley/permissions';
import type { FileConfig } from './file.config.js';
import { FileModule, type FileOverrides } from './file.module.js';

/**
 * Builds and starts the file service: NATS request handlers and the HTTP server (uploads,
 * downloads, health, metrics). `main.ts` and the integration tests start it the same way.
 */
export async function startFile(
  config: FileConfig,
  overrides: FileOverrides = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(FileModule.forRoot(config, overrides), {
    bufferLogs: true,
    abortOnError: false,
    // No body parser: an upload's body is the file, streamed by the upload handler, and no other
    // route takes a body.
    bodyParser: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  // PermissionGuard on every NATS handler; request handlers carry their own filter and contract
  // checks (@RequestHandler), the HTTP filter above stays on the HTTP side.
  connectGuardedMicroservice(
    app,
    createNatsMicroservice({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, queue: 'file' }),
  );
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
