import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { prepareHttpApp } from '@parley/http';
import { useLogging } from '@parley/logging';
import { EdgeMetrics } from './observability/edge-metrics.js';
import type { RealtimeEdgeConfig } from './realtime-edge.config.js';
import { RealtimeEdgeModule } from './realtime-edge.module.js';
import { CommandGate } from './socket/command-gate.js';
import { EdgeIoAdapter } from './socket/edge-io.adapter.js';

/**
 * Builds and starts the realtime edge: Socket.IO on the HTTP server (path /socket.io/) beside
 * health and metrics. The edge serves no NATS requests; it calls the services and consumes their
 * events. `main.ts` and the integration tests start it the same way.
 */
export async function startRealtimeEdge(config: RealtimeEdgeConfig): Promise<INestApplication> {
  const app = await NestFactory.create(RealtimeEdgeModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  useLogging(app);
  prepareHttpApp(app);
  app.useWebSocketAdapter(
    new EdgeIoAdapter(
      app,
      {
        polling: config.REALTIME_POLLING,
        maxFrameBytes: config.REALTIME_MAX_FRAME_BYTES,
        corsOrigins: config.REALTIME_CORS_ORIGINS,
      },
      app.get(CommandGate),
      app.get(EdgeMetrics),
    ),
  );
  app.enableShutdownHooks();
  await app.listen(config.HTTP_PORT, '0.0.0.0');
  return app;
}
