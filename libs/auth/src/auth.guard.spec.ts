import { Writable } from 'node:stream';
import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { NatsContext } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { headerNames, ParleyError } from '@parley/contracts';
import { configureLogging, requestContext } from '@parley/logging';
import {
  accessToken,
  FakeJwksSource,
  identity,
  issuer,
  audience,
  keySet,
  type SigningKey,
  signingKey,
} from '../test/token-factory.js';
import { actorOf } from './actor.decorator.js';
import { AuthGuard } from './auth.guard.js';
import { attachPrincipal, principalOf } from './principal-store.js';
import { TokenVerifier } from './token-verifier.js';
import { parleyErrorOf } from '@parley/testing';

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});
const flushed = () => new Promise((resolve) => setImmediate(resolve));

class UsersHandler {
  create(): void {}
}

let key: SigningKey;
let guard: AuthGuard;

beforeAll(async () => {
  configureLogging({ service: 'auth-guard-spec', level: 'info', destination });
  key = await signingKey();
  guard = new AuthGuard(
    new TokenVerifier({ issuer, audience, jwks: new FakeJwksSource(keySet(key)).source }),
  );
});

beforeEach(() => {
  lines.length = 0;
});

/** An rpc ExecutionContext as Nest builds it for a NATS message: args are [payload, NatsContext]. */
function rpcContext(
  headers: Record<string, string> | undefined,
  subject = 'identity.v1.user.create',
): ExecutionContext {
  let carried: ReturnType<typeof natsHeaders> | undefined;
  if (headers !== undefined) {
    carried = natsHeaders();
    for (const [name, value] of Object.entries(headers)) {
      carried.set(name, value);
    }
  }
  const context = new ExecutionContextHost(
    [{ name: 'Ada' }, new NatsContext([subject, carried])],
    UsersHandler,
    UsersHandler.prototype.create,
  );
  context.setType('rpc');
  return context;
}

function httpContext(authorization: string | string[] | undefined): ExecutionContext {
  const request = { method: 'GET', url: '/me', headers: { authorization } };
  const context = new ExecutionContextHost(
    [request, {}, () => undefined],
    UsersHandler,
    UsersHandler.prototype.create,
  );
  context.setType('http');
  return context;
}

describe('AuthGuard on NATS (rpc) handlers', () => {
  it('verifies the Authorization header, records the principal and the request context', async () => {
    const who = identity();
    const token = await accessToken(key, who);
    const context = rpcContext({
      [headerNames.authorization]: `Bearer ${token}`,
      [headerNames.tenantId]: who.tenantId,
      [headerNames.actorId]: who.userId,
    });
    const seen = await requestContext.run({ correlationId: 'corr-rpc' }, async () => {
      expect(await guard.canActivate(context)).toBe(true);
      return requestContext.get();
    });
    expect(seen).toEqual({ correlationId: 'corr-rpc', actorId: who.userId, tenantId: who.tenantId });
    const expected = { userId: who.userId, tenantId: who.tenantId, sessionId: who.sessionId, kind: 'person' };
    expect(principalOf(context)).toEqual(expected);
    expect(actorOf(context)).toEqual(expected);
  });

  it('accepts a message without identity headers', async () => {
    const context = rpcContext({
      [headerNames.authorization]: `Bearer ${await accessToken(key, identity())}`,
    });
    await expect(guard.canActivate(context)).resolves.toBe(true);
  });

  it('refuses a message without headers or without a token, logging a security event', async () => {
    const error = await parleyErrorOf(guard.canActivate(rpcContext(undefined)));
    expect(error.toEnvelope()).toEqual({
      code: 'unauthenticated',
      message: 'An access token is required',
      details: { reason: 'missing' },
    });
    expect(
      (await parleyErrorOf(guard.canActivate(rpcContext({ [headerNames.tenantId]: 'x' })))).details,
    ).toEqual({
      reason: 'missing',
    });
    await flushed();
    expect(lines[0]).toMatchObject({
      level: 'warn',
      context: 'AuthGuard',
      securityEvent: true,
      type: 'access_token',
      outcome: 'failed',
      reason: 'missing',
      transport: 'rpc',
      target: 'identity.v1.user.create',
      handler: 'UsersHandler.create',
    });
  });

  it('refuses (forbidden) a tenant or actor header contradicting the token', async () => {
    const who = identity();
    const token = await accessToken(key, who);
    const otherTenant = rpcContext({
      [headerNames.authorization]: `Bearer ${token}`,
      [headerNames.tenantId]: identity().tenantId,
    });
    const tenantError = await parleyErrorOf(guard.canActivate(otherTenant));
    expect(tenantError.code).toBe('forbidden');
    expect(tenantError.details).toEqual({ reason: 'tenant_mismatch' });
    expect(principalOf(otherTenant)).toBeUndefined();

    const otherActor = rpcContext({
      [headerNames.authorization]: `Bearer ${token}`,
      [headerNames.tenantId]: who.tenantId,
      [headerNames.actorId]: identity().userId,
    });
    const actorError = await parleyErrorOf(guard.canActivate(otherActor));
    expect(actorError.code).toBe('forbidden');
    expect(actorError.message).toBe('The Parley-Actor-Id header does not match the access token');

    await flushed();
    expect(lines.map((line) => [line['outcome'], line['reason']])).toEqual([
      ['denied', 'tenant_mismatch'],
      ['denied', 'actor_mismatch'],
    ]);
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('refuses an expired token and never logs the token', async () => {
    const token = await accessToken(key, identity(), { exp: Math.floor(Date.now() / 1000) - 600 });
    const error = await parleyErrorOf(
      guard.canActivate(rpcContext({ [headerNames.authorization]: `Bearer ${token}` })),
    );
    expect(error.details).toEqual({ reason: 'expired' });
    await flushed();
    expect(lines[0]).toMatchObject({ securityEvent: true, reason: 'expired' });
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('reads a context lacking NatsContext methods as carrying no token', async () => {
    const context = new ExecutionContextHost([{}, {}], UsersHandler, UsersHandler.prototype.create);
    context.setType('rpc');
    expect((await parleyErrorOf(guard.canActivate(context))).details).toEqual({ reason: 'missing' });
    await flushed();
    expect(lines[0]).toMatchObject({ target: 'rpc' });
  });
});

describe('AuthGuard on HTTP handlers', () => {
  it('verifies req.headers.authorization', async () => {
    const who = identity();
    const context = httpContext(`Bearer ${await accessToken(key, who)}`);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(actorOf(context).userId).toBe(who.userId);
  });

  it('takes the first of repeated headers, and logs the method and path of a refusal', async () => {
    const context = httpContext([`Bearer ${await accessToken(key, identity())}`, 'Bearer other']);
    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect((await parleyErrorOf(guard.canActivate(httpContext('Token abc')))).details).toEqual({
      reason: 'malformed',
    });
    await flushed();
    expect(lines[0]).toMatchObject({ transport: 'http', target: 'GET /me', reason: 'malformed' });
  });

  it('logs no path when the request has none', async () => {
    const context = new ExecutionContextHost([{ headers: {} }], UsersHandler, UsersHandler.prototype.create);
    context.setType('http');
    await parleyErrorOf(guard.canActivate(context));
    await flushed();
    expect(lines[0]).toMatchObject({ target: '' });
  });
});

describe('AuthGuard on other transports', () => {
  it('refuses to guard a websocket handler', async () => {
    const context = new ExecutionContextHost([{}, {}], UsersHandler, UsersHandler.prototype.create);
    context.setType('ws');
    const error = await parleyErrorOf(guard.canActivate(context));
    expect(error.code).toBe('internal');
    await flushed();
    expect(lines).toEqual([]);
  });

  it('does not record key source outages as security events', async () => {
    const down = new FakeJwksSource(keySet(key));
    down.fail(new Error('no route'));
    const offline = new AuthGuard(new TokenVerifier({ issuer, audience, jwks: down.source }));
    const context = rpcContext({
      [headerNames.authorization]: `Bearer ${await accessToken(key, identity())}`,
    });
    expect((await parleyErrorOf(offline.canActivate(context))).code).toBe('unavailable');
    await flushed();
    expect(lines.filter((line) => line['securityEvent'] === true)).toEqual([]);
  });
});

describe('@Actor()', () => {
  it('throws unauthenticated when no guard verified the request', () => {
    const error = (() => {
      try {
        actorOf(rpcContext({}));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ParleyError);
    expect((error as ParleyError).details).toEqual({ reason: 'missing' });
  });

  it('reads a principal attached to a websocket client', () => {
    const client = {};
    const context = new ExecutionContextHost([client, {}], UsersHandler, UsersHandler.prototype.create);
    context.setType('ws');
    const principal = {
      userId: identity().userId,
      tenantId: identity().tenantId,
      sessionId: identity().sessionId,
      kind: 'bot' as const,
    };
    attachPrincipal(client, principal);
    expect(actorOf(context)).toBe(principal);
  });

  it('knows no principal for an unknown context type', () => {
    const context = new ExecutionContextHost([{}], UsersHandler, UsersHandler.prototype.create);
    context.setType('graphql');
    expect(principalOf(context)).toBeUndefined();
  });
});
