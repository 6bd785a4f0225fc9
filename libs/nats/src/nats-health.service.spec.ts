import type { NatsConnection } from '@nats-io/transport-node';
import { NatsHealth } from './nats-health.service.js';

function connection(overrides: Partial<NatsConnection>): NatsConnection {
  return { isClosed: () => false, rtt: async () => 1, ...overrides } as NatsConnection;
}

describe('NatsHealth', () => {
  it('passes while the server answers pings', async () => {
    await expect(new NatsHealth(connection({})).check()).resolves.toBeUndefined();
  });

  it('fails at once on a closed connection', async () => {
    await expect(new NatsHealth(connection({ isClosed: () => true })).check()).rejects.toMatchObject({
      code: 'unavailable',
      message: 'NATS connection is closed',
    });
  });

  it('fails while disconnected (reconnecting)', async () => {
    const rtt = async (): Promise<number> => {
      throw new Error('connection disconnected');
    };
    await expect(new NatsHealth(connection({ rtt })).check()).rejects.toMatchObject({
      code: 'unavailable',
      details: { reason: 'connection disconnected' },
    });
    const rttRejectingWithValue = (): Promise<number> => Promise.reject(new Error('x'));
    await expect(new NatsHealth(connection({ rtt: rttRejectingWithValue })).check()).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('fails when the server does not answer in time', async () => {
    const rtt = (): Promise<number> => new Promise(() => undefined);
    await expect(new NatsHealth(connection({ rtt })).check(20)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'NATS did not answer a ping',
    });
  });
});
