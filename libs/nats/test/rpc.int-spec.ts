import { jest } from '@jest/globals';
import {
  Controller,
  Inject,
  Injectable,
  Logger,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestMicroservice,
} from '@nestjs/common';
import { Ctx, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  defineRequest,
  headerNames,
  ParleyError,
  requestSubject,
  type ReplyEnvelope,
} from '@parley/contracts';
import { configureLogging, requestContext } from '@parley/logging';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { z } from 'zod';

/**
 * Stands in for @parley/auth's guard: this suite checks that @RequestHandler wires the guard in
 * (first, before validation) and maps what it throws, not how tokens are verified.
 */
@Injectable()
class StubAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const headers = context.switchToRpc().getContext<NatsContext>().getHeaders() as
      { get(name: string): string } | undefined;
    if (headers?.get(headerNames.authorization) !== 'Bearer good-token') {
      throw new ParleyError('unauthenticated', 'A valid access token is required');
    }
    requestContext.assign({ actorId: 'actor-from-token' });
    return true;
  }
}
jest.unstable_mockModule('@parley/auth', () => ({ AuthGuard: StubAuthGuard }), { virtual: true });

const { RequestHandler } = await import('../src/request-handler.decorator.js');
const { NatsModule } = await import('../src/nats.module.js');
const { NatsRpcClient } = await import('../src/nats-rpc.client.js');
const { createNatsMicroservice } = await import('../src/rpc.server.js');
const { NatsExceptionFilter } = await import('../src/nats-exception.filter.js');
const { connectNats } = await import('../src/connection.js');
const { Namespace } = await import('../src/namespace.js');

const probe = (verb: string) => ({
  service: 'identity' as const,
  entity: 'probe',
  verb,
  summary: `probe ${verb}`,
});
const echo = defineRequest({
  ...probe('echo'),
  authentication: 'none',
  request: z.object({ text: z.string().min(1), times: z.number().int().min(1).default(1) }),
  response: z.object({ text: z.string(), correlationId: z.string(), tenantId: z.string().nullable() }),
});
const relay = defineRequest({
  ...probe('relay'),
  authentication: 'none',
  request: z.object({ text: z.string() }),
  response: z.object({ outer: z.string(), inner: z.string() }),
});
const fail = defineRequest({
  ...probe('fail'),
  authentication: 'none',
  request: z.object({ probeId: z.string() }),
  response: z.object({}),
});
const crash = defineRequest({
  ...probe('crash'),
  authentication: 'none',
  request: z.object({}),
  response: z.object({}),
});
const wrong = defineRequest({
  ...probe('wrong'),
  authentication: 'none',
  request: z.object({}),
  response: z.object({ text: z.string() }),
});
const strip = defineRequest({
  ...probe('strip'),
  authentication: 'none',
  request: z.object({}),
  response: z.object({ text: z.string() }),
});
const slow = defineRequest({
  ...probe('slow'),
  authentication: 'none',
  request: z.object({ ms: z.number() }),
  response: z.object({ done: z.boolean() }),
});
const whoami = defineRequest({
  ...probe('whoami'),
  authentication: 'actor',
  request: z.object({ detail: z.string() }),
  response: z.object({ actorId: z.string() }),
});
const denied = defineRequest({
  ...probe('denied'),
  authentication: 'actor',
  request: z.object({}),
  response: z.object({}),
});
const fake = defineRequest({
  ...probe('fake'),
  authentication: 'none',
  request: z.object({ reply: z.string() }),
  response: z.object({ n: z.number() }),
});

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

const calls: string[] = [];

@Controller()
class ProbeController {
  constructor(@Inject(NatsRpcClient) private readonly client: InstanceType<typeof NatsRpcClient>) {}

  @RequestHandler(echo)
  echo(@Payload() request: { text: string; times: number }): z.input<typeof echo.response> {
    calls.push('echo');
    const context = requestContext.get();
    return {
      text: request.text.repeat(request.times),
      correlationId: context?.correlationId ?? 'none',
      tenantId: context?.tenantId ?? null,
    };
  }

  @RequestHandler(relay)
  async relay(@Payload() request: { text: string }): Promise<z.input<typeof relay.response>> {
    const inner = await this.client.request(echo, { text: request.text });
    return { outer: requestContext.correlationId(), inner: inner.correlationId };
  }

  @RequestHandler(fail)
  fail(@Payload() request: { probeId: string }): never {
    throw new ParleyError('not_found', 'No such probe', { probeId: request.probeId });
  }

  @RequestHandler(crash)
  crash(): never {
    throw new Error('connection string with password leaked');
  }

  @RequestHandler(wrong)
  wrong(): unknown {
    return { text: 42 };
  }

  @RequestHandler(strip)
  strip(): unknown {
    return { text: 'visible', passwordHash: 'must not leave' };
  }

  @RequestHandler(slow)
  async slow(@Payload() request: { ms: number }): Promise<{ done: boolean }> {
    calls.push('slow');
    await new Promise((resolve) => setTimeout(resolve, request.ms));
    return { done: true };
  }

  @RequestHandler(whoami)
  whoami(): { actorId: string } {
    return { actorId: requestContext.get()?.actorId ?? 'none' };
  }

  // The method's own guard is declared closer to the method, yet authentication still runs first.
  @RequestHandler(denied)
  @UseGuards(DenyGuard)
  denied(): object {
    return {};
  }

  @MessagePattern(requestSubject('identity', 'probe', 'plain'))
  plain(@Payload() data: unknown, @Ctx() context: NatsContext): unknown {
    if (data === 'boom') {
      throw new Error('plain handler failed');
    }
    return { data, subject: context.getSubject() };
  }
}

const logs: Array<Record<string, unknown>> = [];

const ns = new Namespace(uniqueNamespace());
let app: INestMicroservice;
let connection: NatsConnection;
let client: InstanceType<typeof NatsRpcClient>;

beforeAll(async () => {
  // Nest's own start-up lines are noise here; Parley's lines are captured to be asserted on.
  Logger.overrideLogger(false);
  configureLogging({
    service: 'nats-test',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const moduleRef = await Test.createTestingModule({
    imports: [NatsModule.forRoot({ url: natsUrl(), namespace: ns.prefix, name: 'identity' })],
    controllers: [ProbeController],
  }).compile();
  app = moduleRef.createNestMicroservice(
    createNatsMicroservice({ url: natsUrl(), namespace: ns.prefix, queue: 'identity' }),
  );
  app.useGlobalFilters(new NatsExceptionFilter());
  await app.listen();
  connection = await connectNats({ url: natsUrl(), name: 'rpc-test-client' });
  client = new NatsRpcClient(connection, ns);
});

afterAll(async () => {
  await app.close();
  await connection.drain();
});

beforeEach(() => {
  logs.length = 0;
  calls.length = 0;
});

async function raw(subject: string, body: string, headers?: Record<string, string>) {
  const h = natsHeaders();
  for (const [name, value] of Object.entries(headers ?? {})) {
    h.set(name, value);
  }
  const reply = await connection.request(ns.subject(subject), body, { timeout: 2000, headers: h });
  return { body: reply.json<ReplyEnvelope<unknown>>(), headers: reply.headers };
}

describe('request/reply through the Nest NATS transport', () => {
  it('answers a plain JSON request with the ok envelope, parsed with the contract defaults', async () => {
    const reply = await raw(echo.subject, JSON.stringify({ text: 'ab', times: 2 }));
    expect(reply.body).toEqual({
      ok: true,
      data: { text: 'abab', correlationId: expect.any(String), tenantId: null },
    });
    const defaulted = await client.request(echo, { text: 'ab' });
    expect(defaulted.text).toBe('ab');
  });

  it('carries the correlation id from the client context to the handler, its outgoing calls and the reply', async () => {
    const result = await requestContext.run({ correlationId: 'corr-42', tenantId: 'tenant-7' }, () =>
      client.request(echo, { text: 'x' }),
    );
    expect(result).toEqual({ text: 'x', correlationId: 'corr-42', tenantId: 'tenant-7' });

    const nested = await requestContext.run({ correlationId: 'corr-nested' }, () =>
      client.request(relay, { text: 'y' }),
    );
    expect(nested).toEqual({ outer: 'corr-nested', inner: 'corr-nested' });

    const reply = await raw(echo.subject, '{"text":"z"}', { [headerNames.correlationId]: 'corr-raw' });
    expect(reply.headers?.get(headerNames.correlationId)).toBe('corr-raw');
    expect(reply.body).toMatchObject({ ok: true, data: { correlationId: 'corr-raw' } });
  });

  it('gives a request without correlation id a new one, returned in the reply header', async () => {
    const reply = await raw(echo.subject, '{"text":"z"}');
    const correlationId = reply.headers?.get(headerNames.correlationId);
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(reply.body).toMatchObject({ data: { correlationId } });
  });

  it('replies validation_failed to a payload outside the contract, with the failing fields', async () => {
    const reply = await raw(echo.subject, JSON.stringify({ text: '', times: 0 }));
    expect(reply.body).toMatchObject({
      ok: false,
      error: {
        code: 'validation_failed',
        message: 'Invalid request',
        details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'text' })]) },
      },
    });
    expect(calls).toEqual([]);
  });

  it('replies validation_failed to malformed JSON and keeps serving', async () => {
    const reply = await raw(echo.subject, '{"text": nope');
    expect(reply.body).toEqual({
      ok: false,
      error: { code: 'validation_failed', message: 'The message body is not valid JSON' },
    });
    const empty = await raw(echo.subject, '');
    expect(empty.body).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    await expect(client.request(echo, { text: 'still here' })).resolves.toMatchObject({ text: 'still here' });
  });

  it('maps a ParleyError to its envelope, and the client throws it back', async () => {
    const reply = await raw(fail.subject, '{"probeId":"p1"}');
    expect(reply.body).toEqual({
      ok: false,
      error: { code: 'not_found', message: 'No such probe', details: { probeId: 'p1' } },
    });
    const thrown = client.request(fail, { probeId: 'p2' });
    await expect(thrown).rejects.toBeInstanceOf(ParleyError);
    await expect(thrown).rejects.toMatchObject({ code: 'not_found', details: { probeId: 'p2' } });
  });

  it('maps an unknown error to internal without its message, and logs it with the correlation id', async () => {
    const reply = await raw(crash.subject, '{}', { [headerNames.correlationId]: 'corr-crash' });
    expect(reply.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
    expect(JSON.stringify(reply.body)).not.toContain('password');
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'Request handler failed',
        correlationId: 'corr-crash',
        err: expect.objectContaining({ message: 'connection string with password leaked' }),
      }),
    );
  });

  it('replies internal when the handler breaks its response contract', async () => {
    const reply = await raw(wrong.subject, '{}', { [headerNames.correlationId]: 'corr-wrong' });
    expect(reply.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'Handler result does not match the response contract',
        correlationId: 'corr-wrong',
        subject: wrong.subject,
        issues: [expect.objectContaining({ path: 'text' })],
      }),
    );
  });

  it('replies internal, naming the key in the log, when a result has a key the contract does not name', async () => {
    const reply = await raw(strip.subject, '{}', { [headerNames.correlationId]: 'corr-strip' });
    expect(reply.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
    expect(JSON.stringify(reply.body)).not.toContain('must not leave');
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'Handler result is not what its response contract makes of it',
        correlationId: 'corr-strip',
        subject: strip.subject,
        issues: [{ path: 'passwordHash', message: 'Not in the contract' }],
      }),
    );
  });

  it('authenticates actor operations before validating them', async () => {
    await expect(client.request(whoami, { detail: 'x' }, { token: 'good-token' })).resolves.toEqual({
      actorId: 'actor-from-token',
    });
    const noToken = await raw(whoami.subject, '{"not":"valid"}');
    expect(noToken.body).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
    await expect(client.request(whoami, { detail: 'x' }, { token: 'bad-token' })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(client.request(denied, {})).rejects.toMatchObject({ code: 'unauthenticated' });
    await expect(client.request(denied, {}, { token: 'good-token' })).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('serves plain @MessagePattern handlers in the same envelope', async () => {
    const subject = requestSubject('identity', 'probe', 'plain');
    const ok = await raw(subject, '"hello"');
    expect(ok.body).toEqual({ ok: true, data: { data: 'hello', subject: ns.subject(subject) } });
    const failed = await raw(subject, '"boom"');
    expect(failed.body).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
  });

  it('ignores a message without reply subject, with a warning', async () => {
    connection.publish(ns.subject(echo.subject), '{"text":"event"}');
    await connection.flush();
    await expect(client.request(echo, { text: 'after' })).resolves.toMatchObject({ text: 'after' });
    expect(calls).toEqual(['echo']);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'Ignored a message without reply subject' }),
    );
  });
});

describe('RESPONSE_VALIDATION off', () => {
  it('sends results as the handler typed them, still validating requests', async () => {
    const quick = new Namespace(uniqueNamespace());
    const moduleRef = await Test.createTestingModule({
      imports: [
        NatsModule.forRoot({
          url: natsUrl(),
          namespace: quick.prefix,
          name: 'identity',
          responseValidation: 'off',
        }),
      ],
      controllers: [ProbeController],
    }).compile();
    const served = moduleRef.createNestMicroservice(
      createNatsMicroservice({ url: natsUrl(), namespace: quick.prefix, queue: 'identity' }),
    );
    await served.listen();
    try {
      const ask = async (subject: string, body: string) =>
        (await connection.request(quick.subject(subject), body, { timeout: 2000 })).json<unknown>();
      await expect(ask(strip.subject, '{}')).resolves.toEqual({
        ok: true,
        data: { text: 'visible', passwordHash: 'must not leave' },
      });
      await expect(ask(wrong.subject, '{}')).resolves.toEqual({ ok: true, data: { text: 42 } });
      await expect(ask(echo.subject, '{"text":""}')).resolves.toMatchObject({
        ok: false,
        error: { code: 'validation_failed' },
      });
      expect(logs.filter((line) => line['level'] === 'error')).toEqual([]);
    } finally {
      await served.close();
    }
  });
});

describe('NatsRpcClient', () => {
  it('checks the payload before sending it', async () => {
    await expect(client.request(echo, { text: '' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(client.request(echo, { text: 'x', times: 1n } as never)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(calls).toEqual([]);
  });

  it('turns a timeout into unavailable', async () => {
    const started = Date.now();
    await expect(client.request(slow, { ms: 1500 }, { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'unavailable',
      message: `No reply from ${slow.subject} in time`,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('never reaches a service in another namespace', async () => {
    const elsewhere = new NatsRpcClient(connection, new Namespace(uniqueNamespace()));
    await expect(elsewhere.request(echo, { text: 'x' })).rejects.toMatchObject({
      code: 'unavailable',
      message: `No service answers ${echo.subject}`,
    });
    const root = new NatsRpcClient(connection, Namespace.root);
    await expect(root.request(echo, { text: 'x' }, { timeoutMs: 500 })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });

  it('sends extra headers and the bearer token; the context tenant and actor only without a token', async () => {
    const seen: Array<Record<string, string | undefined>> = [];
    const subscription = connection.subscribe(ns.subject(fake.subject), {
      callback: (_error, message) => {
        seen.push({
          auth: message.headers?.get(headerNames.authorization),
          tenant: message.headers?.get(headerNames.tenantId),
          actor: message.headers?.get(headerNames.actorId),
          extra: message.headers?.get('X-Extra'),
        });
        message.respond(JSON.stringify({ ok: true, data: { n: 1 } }));
      },
    });
    try {
      await requestContext.run({ correlationId: 'c', tenantId: 't-1', actorId: 'a-1' }, async () => {
        await client.request(fake, { reply: 'x' }, { token: 'tok', headers: { 'X-Extra': 'yes' } });
        await client.request(fake, { reply: 'x' });
      });
      expect(seen).toEqual([
        // A missing header reads as ''.
        { auth: 'Bearer tok', tenant: '', actor: '', extra: 'yes' },
        { auth: '', tenant: 't-1', actor: 'a-1', extra: '' },
      ]);
      await expect(
        client.request(fake, { reply: 'x' }, { headers: { 'Bad Header': 'x' } }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
      });
    } finally {
      subscription.unsubscribe();
    }
  });

  it.each([
    ['not JSON', 'nope', /Unreadable reply/],
    ['no envelope', '{"data":1}', /Malformed reply/],
    ['off-contract data', '{"ok":true,"data":{"n":"one"}}', /does not match its contract/],
  ])('throws internal on a reply that is %s', async (_case, body, message) => {
    const subscription = connection.subscribe(ns.subject(fake.subject), {
      callback: (_error, request) => {
        request.respond(body);
      },
    });
    try {
      await expect(client.request(fake, { reply: 'x' })).rejects.toMatchObject({
        code: 'internal',
        message: expect.stringMatching(message),
      });
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe('shutdown', () => {
  it('lets a request in flight reply before the server connection closes', async () => {
    const separate = new Namespace(uniqueNamespace());
    const moduleRef = await Test.createTestingModule({
      controllers: [ProbeController],
      providers: [{ provide: NatsRpcClient, useValue: client }],
    }).compile();
    const second = moduleRef.createNestMicroservice(
      createNatsMicroservice({ url: natsUrl(), namespace: separate, queue: 'identity' }),
    );
    await second.listen();
    const secondClient = new NatsRpcClient(connection, separate);
    const pending = secondClient.request(slow, { ms: 300 }, { timeoutMs: 5000 });
    while (!calls.includes('slow')) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await second.close();
    await expect(pending).resolves.toEqual({ done: true });
    await expect(secondClient.request(echo, { text: 'x' }, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
