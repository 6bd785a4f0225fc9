import { jest } from '@jest/globals';
import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { headerNames } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { of } from 'rxjs';
import { Namespace } from './namespace.js';
import { createNatsMicroservice, ParleyNatsServer } from './rpc.server.js';

interface Replied {
  body: unknown;
  correlationId: string | undefined;
}

function request(
  body: string,
  options: { reply?: string; correlationId?: string; respond?: () => boolean } = {},
) {
  const replies: Replied[] = [];
  const headers = natsHeaders();
  if (options.correlationId) {
    headers.set(headerNames.correlationId, options.correlationId);
  }
  const message = {
    subject: 'ns.identity.v1.user.get',
    reply: 'reply' in options ? options.reply : '_INBOX.1',
    data: new TextEncoder().encode(body),
    headers,
    respond:
      options.respond ??
      ((data: string, opts: { headers: { get(name: string): string } }) => {
        replies.push({ body: JSON.parse(data), correlationId: opts.headers.get(headerNames.correlationId) });
        return true;
      }),
  } as unknown as Msg;
  return { message, replies };
}

const logged: Array<Record<string, unknown>> = [];
beforeAll(() =>
  configureLogging({
    service: 'nats-test',
    destination: { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) },
  }),
);
beforeEach(() => (logged.length = 0));

describe('ParleyNatsServer', () => {
  const pattern = 'identity.v1.user.get';
  const server = (): ParleyNatsServer =>
    createNatsMicroservice({
      url: 'nats://127.0.0.1:4222',
      namespace: new Namespace('ns'),
      queue: 'identity',
    }).strategy;

  it('subscribes each request pattern on its namespaced subject in the NATS queue of the service', () => {
    const subject = server();
    subject.addHandler(pattern, async () => 'ok');
    subject.addHandler('identity.v1.events.x', async () => undefined, true);
    const subscribe = jest.fn(() => ({}));
    subject.bindEvents({ subscribe } as unknown as NatsConnection);
    expect(subscribe).toHaveBeenCalledTimes(1);
    expect(subscribe).toHaveBeenCalledWith(
      'ns.identity.v1.user.get',
      expect.objectContaining({ queue: 'identity' }),
    );
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'warn', pattern: 'identity.v1.events.x' }),
    );
  });

  it('serves what its subscription receives and logs what the subscription reports as failed', async () => {
    const subject = server();
    subject.addHandler(pattern, async () => 'served');
    let deliver: (error: Error | null, message: Msg) => void = () => undefined;
    const subscribe = jest.fn((_subject: string, options: { callback: typeof deliver }) => {
      deliver = options.callback;
      return {};
    });
    subject.bindEvents({ subscribe } as unknown as NatsConnection);
    const { message, replies } = request('{}');
    deliver(null, message);
    deliver(new Error('subscription refused by the server'), message);
    await new Promise((resolve) => setImmediate(resolve));
    expect(replies).toEqual([{ body: { ok: true, data: 'served' }, correlationId: expect.any(String) }]);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'Subscription failed', pattern }),
    );
  });

  it('replies from a handler returning a value or an observable, keeping the correlation id', async () => {
    const subject = server();
    subject.addHandler(pattern, async (data: unknown) => of({ echoed: data }));
    const { message, replies } = request('{"a":1}', { correlationId: 'c-1' });
    await subject.handleMessage(pattern, message);
    expect(replies).toEqual([{ body: { ok: true, data: { echoed: { a: 1 } } }, correlationId: 'c-1' }]);
  });

  it('replies not_found for a pattern it has no handler for', async () => {
    const { message, replies } = request('{}');
    await server().handleMessage('identity.v1.nothing.here', message);
    expect(replies[0]?.body).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('replies internal and logs when a handler fails outside any exception filter', async () => {
    const subject = server();
    subject.addHandler(pattern, async () => {
      throw new Error('raw failure');
    });
    const { message, replies } = request('{}');
    await subject.handleMessage(pattern, message);
    expect(replies[0]?.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error', msg: 'Request handler failed' }));
  });

  it('replies internal when the response cannot be serialized', async () => {
    const subject = server();
    subject.addHandler(pattern, async () => ({ big: 1n }));
    const { message, replies } = request('{}');
    await subject.handleMessage(pattern, message);
    expect(replies[0]?.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
  });

  it('logs a reply it could not send instead of failing', async () => {
    const subject = server();
    subject.addHandler(pattern, async () => 'ok');
    const { message } = request('{}', {
      respond: () => {
        throw new Error('connection closed');
      },
    });
    await expect(subject.handleMessage(pattern, message)).resolves.toBeUndefined();
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'Reply could not be sent' }),
    );
  });

  it('ignores a message without reply subject', async () => {
    const subject = server();
    const handler = jest.fn(async () => 'ok');
    subject.addHandler(pattern, handler);
    const { message, replies } = request('{}', { reply: undefined });
    await subject.handleMessage(pattern, message);
    expect(handler).not.toHaveBeenCalled();
    expect(replies).toEqual([]);
  });

  it('reports ready once the server confirmed the subscriptions, and a failed confirmation as an error', async () => {
    const flushed = new Error('connection lost');
    const connection = (flush: () => Promise<void>) =>
      ({
        subscribe: () => ({}),
        flush,
        status: async function* () {},
      }) as unknown as NatsConnection;
    for (const [flush, expected] of [
      [async () => undefined, undefined],
      [async () => Promise.reject(flushed), flushed],
    ] as const) {
      const subject = new (class extends ParleyNatsServer {
        override async createNatsClient(): Promise<NatsConnection> {
          return connection(flush);
        }
      })({ url: 'nats://127.0.0.1:4222', queue: 'identity' });
      subject.addHandler(pattern, async () => 'ok');
      const outcome = await new Promise((resolve) => void subject.listen(resolve));
      expect(outcome).toBe(expected);
    }
  });

  it('closes without having listened', async () => {
    await expect(server().close()).resolves.toBeUndefined();
  });
});
