import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { NatsContainer } from '@testcontainers/nats';
import type { Infrastructure } from './infrastructure.js';

/* c8 ignore start -- needs a Docker engine, which this project's CI machine does not have */
export async function startContainers(): Promise<Infrastructure> {
  const [postgres, nats] = await Promise.all([
    new PostgreSqlContainer('postgres:16-alpine').withEnvironment({ TZ: 'UTC' }).start(),
    new NatsContainer('nats:2-alpine').withJetStream().start(),
  ]);
  return {
    databaseUrl: postgres.getConnectionUri(),
    natsUrl: natsUrlOf(nats.getHost(), nats.getMappedPort(4222), nats.username, nats.password),
    source: 'containers',
    async stop() {
      await Promise.all([postgres.stop(), nats.stop()]);
    },
  };
}

function natsUrlOf(host: string, port: number, user?: string, pass?: string): string {
  const credentials = user ? `${encodeURIComponent(user)}:${encodeURIComponent(pass ?? '')}@` : '';
  return `nats://${credentials}${host}:${port}`;
}
/* c8 ignore stop */
