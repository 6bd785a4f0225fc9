import type { NatsConnection } from '@nats-io/transport-node';
import { configureLogging } from '@parley/logging';
import { NatsConnectionCloser } from './nats.module.js';

describe('NatsConnectionCloser', () => {
  it('logs a drain that fails instead of failing the shutdown', async () => {
    const logged: Array<Record<string, unknown>> = [];
    configureLogging({
      service: 'nats-test',
      destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const connection = {
      isClosed: () => false,
      drain: async () => {
        throw new Error('already draining');
      },
    } as unknown as NatsConnection;
    await expect(new NatsConnectionCloser(connection).onApplicationShutdown()).resolves.toBeUndefined();
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'Draining the NATS connection failed' }),
    );
  });
});
