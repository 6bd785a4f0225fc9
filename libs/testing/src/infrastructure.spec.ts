import { createServer, type Server } from 'node:net';
import {
  isDockerAvailable,
  isReachable,
  redactUrl,
  resolveInfrastructure,
  type Infrastructure,
} from './infrastructure.js';

const up = async (): Promise<boolean> => true;
const down = async (): Promise<boolean> => false;

describe('resolveInfrastructure', () => {
  it('uses the servers named by the environment first, without probing', async () => {
    const probed: string[] = [];
    const infra = await resolveInfrastructure({
      env: { DATABASE_URL: 'postgres://a@db:5432/x', NATS_URL: 'nats://n:4222' },
      reachable: async (url) => {
        probed.push(url);
        return false;
      },
    });
    expect(infra).toMatchObject({
      databaseUrl: 'postgres://a@db:5432/x',
      natsUrl: 'nats://n:4222',
      source: 'environment',
    });
    expect(probed).toEqual([]);
    await expect(infra.stop()).resolves.toBeUndefined();
  });

  it('falls back to the default local ports when they answer', async () => {
    const infra = await resolveInfrastructure({ env: {}, reachable: up, dockerAvailable: down });
    expect(infra).toMatchObject({
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
      natsUrl: 'nats://127.0.0.1:4222',
      source: 'local',
    });
  });

  it('completes a half-given environment with a local default', async () => {
    const infra = await resolveInfrastructure({ env: { NATS_URL: 'nats://n:1' }, reachable: up });
    expect(infra).toMatchObject({ natsUrl: 'nats://n:1', source: 'environment' });
  });

  it('starts containers when nothing answers and a Docker engine does', async () => {
    const started: Infrastructure = {
      databaseUrl: 'postgres://c',
      natsUrl: 'nats://c',
      source: 'containers',
      stop: async () => undefined,
    };
    const infra = await resolveInfrastructure({
      env: {},
      reachable: down,
      dockerAvailable: up,
      startContainers: async () => started,
    });
    expect(infra).toBe(started);
  });

  it('explains how to provide the servers when nothing is available, hiding passwords', async () => {
    const attempt = resolveInfrastructure({
      env: { DATABASE_URL: 'postgres://u:secret@db:5432/x' },
      reachable: async (url) => url.startsWith('nats'),
      dockerAvailable: down,
    });
    await expect(attempt).rejects.toThrow(/PostgreSQL at postgres:\/\/u:\*\*\*@db:5432\/x did not answer/);
    await expect(attempt).rejects.toThrow(/set DATABASE_URL/);
  });
});

describe('probes', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reports a listening port as reachable and a closed one as not', async () => {
    await expect(isReachable(`postgres://x@127.0.0.1:${port}/db`)).resolves.toBe(true);
    server.close();
    await expect(isReachable(`nats://127.0.0.1:${port}`)).resolves.toBe(false);
  });

  it('says whether a Docker engine answers', async () => {
    await expect(isDockerAvailable()).resolves.toEqual(expect.any(Boolean));
  });

  it('leaves URLs without a password unchanged', () => {
    expect(redactUrl('postgres://u@h:1/d')).toBe('postgres://u@h:1/d');
  });
});
