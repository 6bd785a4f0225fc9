import type { INestApplication } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadConfig } from '@parley/config';
import { connectNats, Namespace, NatsRpcClient } from '@parley/nats';
import {
  migratedServiceDatabase,
  natsUrl,
  uniqueNamespace,
  urlForLogin,
  type TestDatabase,
} from '@parley/testing';
import { {{camelName}}Config, type {{Name}}Config } from '../src/{{name}}.config.js';
import { start{{Name}} } from '../src/{{name}}.app.js';

export const {{camelName}}Login = '{{schema}}_service';

/** A fresh database with the {{schema}} schema migrated; `drop()` removes it. */
export function migrated{{Name}}Database(): Promise<TestDatabase> {
  return migratedServiceDatabase('{{name}}');
}

export interface {{Name}}UnderTest {
  app: INestApplication;
  config: {{Name}}Config;
  baseUrl: string;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  stop(): Promise<void>;
}

/**
 * The {{name}} service on a fresh database, in a NATS namespace of its own, listening on a free
 * port, with a NATS client in the same namespace to call it.
 */
export async function start{{Name}}UnderTest(env: Record<string, string> = {}): Promise<{{Name}}UnderTest> {
  const database = await migrated{{Name}}Database();
  const namespace = uniqueNamespace();
  let app: INestApplication | undefined;
  try {
    const config = loadConfig({{camelName}}Config, {
      DATABASE_URL: urlForLogin(database.url, {{camelName}}Login),
      NATS_URL: natsUrl(),
      NATS_NAMESPACE: namespace,
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    });
    const started = await start{{Name}}(config);
    app = started;
    const baseUrl = (await started.getUrl()).replace('[::1]', '127.0.0.1');
    const nats = await connectNats({ url: natsUrl(), name: '{{name}}-test-client' });
    const ns = new Namespace(namespace);
    return {
      app: started,
      config,
      baseUrl,
      rpc: new NatsRpcClient(nats, ns),
      nats,
      namespace: ns,
      database,
      async stop() {
        await nats.drain();
        await started.close();
        await database.drop();
      },
    };
  } catch (error) {
    await app?.close();
    await database.drop();
    throw error;
  }
}
