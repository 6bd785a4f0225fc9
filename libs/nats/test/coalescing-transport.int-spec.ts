import type { NatsConnection } from '@nats-io/transport-node';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { CoalescingTransport } from '../src/coalescing-transport.js';
import { connectNats } from '../src/connection.js';

/** The transport under a connection (the client keeps it in its protocol handler). */
function transportOf(connection: NatsConnection): CoalescingTransport {
  const transport = (connection as unknown as { protocol: { transport: unknown } }).protocol.transport;
  if (!(transport instanceof CoalescingTransport)) {
    throw new Error('connectNats did not use CoalescingTransport');
  }
  return transport;
}

/** Subscribes now; resolves with the first `count` payloads received on `subject`, in arrival order. */
async function receive(connection: NatsConnection, subject: string, count: number): Promise<string[]> {
  const received: string[] = [];
  for await (const message of connection.subscribe(subject, { max: count })) {
    received.push(message.string());
  }
  return received;
}

describe('CoalescingTransport', () => {
  let sender: NatsConnection;
  let reader: NatsConnection;

  beforeEach(async () => {
    sender = await connectNats({ url: natsUrl(), name: 'coalescing-sender' });
    reader = await connectNats({ url: natsUrl(), name: 'coalescing-reader' });
  });

  afterEach(async () => {
    await Promise.all([sender.close(), reader.close()]);
  });

  it('writes what separate callbacks of one turn publish in one system call, in order', async () => {
    const subject = `${uniqueNamespace()}.turn`;
    const arrived = receive(reader, subject, 5);
    await reader.flush();
    const transport = transportOf(sender);
    const before = transport.writes;
    // Five callbacks of one check phase, each its own macrotask: the plain transport writes after
    // each of them.
    await new Promise<void>((done) => {
      for (let index = 0; index < 5; index += 1) {
        setImmediate(() => {
          sender.publish(subject, `message ${index}`);
          if (index === 4) {
            done();
          }
        });
      }
    });
    // The flush's PING is sent in the same turn, after the five.
    await sender.flush();
    expect(await arrived).toEqual(['message 0', 'message 1', 'message 2', 'message 3', 'message 4']);
    expect(transport.writes - before).toBe(1);
  });

  it('writes what it keeps before closing: a publish the client handed over before close() arrives', async () => {
    const subject = `${uniqueNamespace()}.close`;
    const arrived = receive(reader, subject, 1);
    await reader.flush();
    const closing = await connectNats({ url: natsUrl(), name: 'coalescing-closing' });
    closing.publish(subject, 'last words');
    // The client hands its buffer to the transport in a microtask; the transport would keep it
    // until the turn's check phase, after the connection is gone.
    await Promise.resolve();
    await closing.close();
    expect(await arrived).toEqual(['last words']);
  });

  it('writes what it keeps before a forced disconnect, and reconnects through a coalescing transport', async () => {
    const subject = `${uniqueNamespace()}.reconnect`;
    const arrived = receive(reader, subject, 2);
    await reader.flush();
    const first = transportOf(sender);
    const reconnected = (async () => {
      for await (const status of sender.status()) {
        if (status.type === 'reconnect') {
          return;
        }
      }
    })();
    sender.publish(subject, 'before');
    await Promise.resolve();
    first.disconnect();
    await reconnected;
    sender.publish(subject, 'after');
    expect(await arrived).toEqual(['before', 'after']);
    expect(transportOf(sender)).not.toBe(first);
  });

  it('answers requests and keeps working across many turns', async () => {
    const subject = `${uniqueNamespace()}.echo`;
    const responder = reader.subscribe(subject, {
      callback: (error, message) => {
        if (error === null) {
          message.respond(`echo ${message.string()}`);
        }
      },
    });
    await reader.flush();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, index) => {
        await new Promise((next) => setTimeout(next, index % 5));
        return (await sender.request(subject, `${index}`, { timeout: 5000 })).string();
      }),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, (_, index) => `echo ${index}`));
    responder.unsubscribe();
  });
});
