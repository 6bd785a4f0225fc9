import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { realtimeEdgeConfig } from './realtime-edge.config.js';
import { startRealtimeEdge } from './realtime-edge.app.js';

await startRealtimeEdge(loadConfig(realtimeEdgeConfig));
