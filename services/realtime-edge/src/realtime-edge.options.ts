import { randomUUID } from 'node:crypto';
import type { RealtimeEdgeConfig } from './realtime-edge.config.js';

/** What the edge's providers read of the configuration, once parsed. */
export interface EdgeSettings {
  /** This process among the edge instances: its presence entries and its shared-consumer pulls. */
  readonly instanceId: string;
  readonly acceptQueryToken: boolean;
  readonly maxEventBytes: number;
  readonly socketRate: { readonly perSecond: number; readonly burst: number };
  readonly userRate: { readonly perSecond: number; readonly burst: number };
  readonly syncMaxGap: number;
  readonly gapWaitMs: number;
  readonly presenceTtlMs: number;
  readonly typingIntervalMs: number;
  readonly tokenWarningMs: number;
  readonly revocationTtlMs: number;
  readonly consumerPrefetch: number;
}

export const EDGE_SETTINGS = Symbol('EDGE_SETTINGS');

export function edgeSettings(config: RealtimeEdgeConfig): EdgeSettings {
  return {
    instanceId: randomUUID(),
    acceptQueryToken: config.REALTIME_QUERY_TOKEN,
    maxEventBytes: config.REALTIME_MAX_EVENT_BYTES,
    socketRate: { perSecond: config.REALTIME_SOCKET_RATE, burst: config.REALTIME_SOCKET_BURST },
    userRate: { perSecond: config.REALTIME_USER_RATE, burst: config.REALTIME_USER_BURST },
    syncMaxGap: config.REALTIME_SYNC_MAX_GAP,
    gapWaitMs: config.REALTIME_GAP_WAIT,
    presenceTtlMs: config.REALTIME_PRESENCE_TTL,
    typingIntervalMs: config.REALTIME_TYPING_INTERVAL,
    tokenWarningMs: config.REALTIME_TOKEN_WARNING,
    revocationTtlMs: config.REALTIME_REVOCATION_TTL,
    consumerPrefetch: config.REALTIME_CONSUMER_PREFETCH,
  };
}
