import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import type { Tenant } from '@parley/contracts';
import { startPlatform, type Person, type Platform } from '../../conversation/test/conversation.harness.js';
import { connect, startEdge, type EdgeUnderTest } from './edge.harness.js';

export type { Person, Platform };

/** Identity, permission and conversation as deployed, with edge instances in the same namespace. */
export interface EdgePlatform {
  readonly platform: Platform;
  readonly edges: EdgeUnderTest[];
  startEdge(env?: Record<string, string>): Promise<EdgeUnderTest>;
  /** A fresh tenant that lets people register. */
  tenant(): Promise<Tenant>;
  person(tenant: Tenant, name?: string): Promise<Person>;
  /** A connected socket of the person on the edge. */
  socket(edge: EdgeUnderTest, person: Person): Promise<Socket>;
  stop(): Promise<void>;
}

export async function startEdgePlatform(
  edgeCount: number,
  env: Record<string, string> = {},
): Promise<EdgePlatform> {
  const platform = await startPlatform();
  const edges: EdgeUnderTest[] = [];
  const sockets: Socket[] = [];
  const world: EdgePlatform = {
    platform,
    edges,
    async startEdge(extra: Record<string, string> = {}) {
      const edge = await startEdge(platform.namespace.prefix, { ...env, ...extra });
      edges.push(edge);
      return edge;
    },
    tenant: () => platform.tenant(`t${randomUUID().slice(0, 8)}`),
    person: (tenant, name) => platform.person(tenant, name),
    async socket(edge, person) {
      const socket = await connect(edge.url, person.token);
      sockets.push(socket);
      return socket;
    },
    async stop() {
      for (const socket of sockets) {
        socket.close();
      }
      for (const edge of edges.splice(0)) {
        await edge.stop();
      }
      await platform.stop();
    },
  };
  try {
    for (let i = 0; i < edgeCount; i += 1) {
      await world.startEdge();
    }
    return world;
  } catch (error) {
    await world.stop();
    throw error;
  }
}
