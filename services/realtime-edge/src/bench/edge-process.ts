import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { realtimeEdgeConfig } from '../realtime-edge.config.js';
import { startRealtimeEdge } from '../realtime-edge.app.js';

/**
 * An edge instance for the memory measurement of the benchmark: started like `main.ts`, run with
 * `--expose-gc`, and answering `measure` over IPC with its memory after a full garbage collection,
 * so that garbage waiting for the collector does not count as memory held by connections.
 */
declare const gc: (() => void) | undefined;

const app = await startRealtimeEdge(loadConfig(realtimeEdgeConfig));
process.on('message', (message: unknown) => {
  if (message !== 'measure') {
    return;
  }
  gc?.();
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heapUsed, rss });
});
process.once('disconnect', () => {
  void app.close().then(() => process.exit(0));
});
process.send?.({ ready: true });
