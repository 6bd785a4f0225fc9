import { Socket } from 'node:net';

/** Where the integration tests find PostgreSQL (an admin login) and NATS with JetStream. */
export interface Infrastructure {
  databaseUrl: string;
  natsUrl: string;
  /** Where they came from, for the test log. */
  source: 'environment' | 'local' | 'containers';
  /** Stops whatever was started for the run (containers); a no-op otherwise. */
  stop(): Promise<void>;
}

export const defaultDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
export const defaultNatsUrl = 'nats://127.0.0.1:4222';

/** Starts PostgreSQL and NATS containers; only called when a Docker engine answers. */
export type ContainerStarter = () => Promise<Infrastructure>;

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** TCP probe of a URL's host and port. */
  reachable?: (url: string) => Promise<boolean>;
  dockerAvailable?: () => Promise<boolean>;
  startContainers?: ContainerStarter;
}

/**
 * The order is fixed: servers named by the environment, then servers on the default local ports,
 * then Testcontainers when a Docker engine answers, else an error saying how to provide them.
 */
export async function resolveInfrastructure(options: ResolveOptions = {}): Promise<Infrastructure> {
  const env = options.env ?? process.env;
  const reachable = options.reachable ?? isReachable;
  const stop = (): Promise<void> => Promise.resolve();

  const fromEnv = { databaseUrl: env['DATABASE_URL'], natsUrl: env['NATS_URL'] };
  if (fromEnv.databaseUrl && fromEnv.natsUrl) {
    return { databaseUrl: fromEnv.databaseUrl, natsUrl: fromEnv.natsUrl, source: 'environment', stop };
  }
  const databaseUrl = fromEnv.databaseUrl ?? defaultDatabaseUrl;
  const natsUrl = fromEnv.natsUrl ?? defaultNatsUrl;
  const [pgUp, natsUp] = await Promise.all([reachable(databaseUrl), reachable(natsUrl)]);
  if (pgUp && natsUp) {
    return {
      databaseUrl,
      natsUrl,
      source: fromEnv.databaseUrl || fromEnv.natsUrl ? 'environment' : 'local',
      stop,
    };
  }
  const dockerAvailable = options.dockerAvailable ?? isDockerAvailable;
  if (await dockerAvailable()) {
    const start = options.startContainers ?? (await import('./containers.js')).startContainers;
    return start();
  }
  const missing = [
    pgUp ? undefined : `PostgreSQL at ${redactUrl(databaseUrl)}`,
    natsUp ? undefined : `NATS at ${natsUrl}`,
  ]
    .filter(Boolean)
    .join(' and ');
  throw new Error(
    `Integration tests need PostgreSQL and NATS with JetStream, but ${missing} did not answer and no Docker ` +
      'engine is available for Testcontainers. Start them locally (PostgreSQL on 127.0.0.1:5432 with trust ' +
      'auth, `nats-server -js` on 127.0.0.1:4222), or set DATABASE_URL (an admin login) and NATS_URL.',
  );
}

/** Opens and closes a TCP connection to the URL's host and port. */
export function isReachable(url: string, timeoutMs = 1000): Promise<boolean> {
  const parsed = new URL(url);
  const port = Number(parsed.port || (parsed.protocol.startsWith('postgres') ? 5432 : 4222));
  const host = parsed.hostname || '127.0.0.1';
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** True when a Docker engine answers (the only case where Testcontainers can work). */
export async function isDockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) {
    parsed.password = '***';
  }
  return parsed.toString();
}
