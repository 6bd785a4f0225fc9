import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { connectNats, NATS_CONNECTION } from '../src/connection.js';
import { EventConsumer } from '../src/event.consumer.js';
import { EventPublisher } from '../src/event.publisher.js';
import { Namespace } from '../src/namespace.js';
import { NatsHealth } from '../src/nats-health.service.js';
import { NatsRpcClient } from '../src/nats-rpc.client.js';
import { NatsModule } from '../src/nats.module.js';

@Injectable()
class NeedsNats {
  constructor(
    readonly client: NatsRpcClient,
    readonly publisher: EventPublisher,
    readonly consumers: EventConsumer,
    readonly health: NatsHealth,
    readonly namespace: Namespace,
  ) {}
}

describe('NatsModule', () => {
  it('provides the connection and what is built on it, and drains the connection on shutdown', async () => {
    const prefix = uniqueNamespace();
    const moduleRef = await Test.createTestingModule({
      imports: [NatsModule.forRoot({ url: natsUrl(), namespace: prefix, name: 'module-test' })],
      providers: [NeedsNats],
    }).compile();
    await moduleRef.init();
    const connection = moduleRef.get<NatsConnection>(NATS_CONNECTION);
    const needs = moduleRef.get(NeedsNats);
    expect(needs.namespace.prefix).toBe(prefix);
    expect(needs.client).toBeInstanceOf(NatsRpcClient);
    await expect(needs.health.check()).resolves.toBeUndefined();
    expect(connection.info?.client_id).toBeDefined();

    await moduleRef.close();
    expect(connection.isClosed()).toBe(true);
    await expect(needs.health.check()).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('shuts down quietly when the connection is already closed', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [NatsModule.forRoot({ url: natsUrl(), name: 'module-test' })],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(Namespace).isRoot).toBe(true);
    await moduleRef.get<NatsConnection>(NATS_CONNECTION).close();
    await expect(moduleRef.close()).resolves.toBeUndefined();
  });
});

describe('connectNats', () => {
  it('accepts several comma-separated servers', async () => {
    const connection = await connectNats({ url: `${natsUrl()}, ${natsUrl()}`, name: 'two' });
    try {
      expect(connection.isClosed()).toBe(false);
    } finally {
      await connection.close();
    }
  });

  it('fails with unavailable, credentials hidden, when no server answers', async () => {
    const failure = connectNats({ url: 'nats://user:secret@127.0.0.1:1', name: 'nobody' });
    await expect(failure).rejects.toMatchObject({ code: 'unavailable' });
    await expect(failure).rejects.toThrow('Cannot connect to NATS at nats://***@127.0.0.1:1');
  });
});
