import { jest } from '@jest/globals';
import { Writable } from 'node:stream';
import type { ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { NatsContext } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { headerNames, ParleyError, type CaslRule, type Principal } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { CompiledPermissions } from './ability.js';
import type { AbilityCache } from './ability.cache.js';
import { accessTokenFor, accessTokenOf, attachAccessToken, rememberAccessToken } from './access-token.js';
import { PermissionChecker } from './permission.checker.js';

const lines: Array<Record<string, unknown>> = [];
configureLogging({
  service: 'permissions-unit',
  level: 'info',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
});

const actor: Principal = {
  userId: '0193a5e0-0000-7000-8000-0000000000a1',
  tenantId: '0193a5e0-0000-7000-8000-0000000000b1',
  sessionId: '0193a5e0-0000-7000-8000-0000000000c1',
  kind: 'person',
};
const otherTenant = '0193a5e0-0000-7000-8000-0000000000b2';
const f1 = '0193a5e0-0000-7000-8000-0000000000e1';
const read = 'file:file:read';
const remove = 'file:file:delete';

describe('PermissionChecker', () => {
  let rules: CaslRule[];
  let permissionsOf: jest.Mock<
    (principal: Principal, token: string | undefined) => Promise<CompiledPermissions>
  >;
  let checker: PermissionChecker;

  beforeEach(() => {
    lines.length = 0;
    rules = [{ action: read, subject: 'all', conditions: { ownerId: actor.userId } }];
    permissionsOf = jest.fn(async () => new CompiledPermissions(rules));
    checker = new PermissionChecker({ permissionsOf } as unknown as AbilityCache);
  });

  it('checks ownership once the service knows the owner', async () => {
    await expect(checker.can(actor, read, { type: 'file', id: f1, ownerId: actor.userId })).resolves.toBe(
      true,
    );
    await expect(checker.can(actor, read, { type: 'file', id: f1, ownerId: otherTenant })).resolves.toBe(
      false,
    );
    await expect(checker.can(actor, read)).resolves.toBe(false);
  });

  it('uses the token the guard saw with this principal, or the one given', async () => {
    const principal = { ...actor };
    await checker.can(principal, read);
    rememberAccessToken(principal, 'from-guard');
    await checker.can(principal, read);
    await checker.can(principal, read, undefined, { token: 'explicit' });
    expect(permissionsOf.mock.calls.map(([, token]) => token)).toEqual([undefined, 'from-guard', 'explicit']);
    expect(accessTokenFor({ ...principal })).toBeUndefined();
  });

  it('evaluates one permission, all of several, or one of several', async () => {
    rules = [{ action: read, subject: 'all' }];
    await expect(checker.evaluate(actor, read)).resolves.toEqual({
      allowed: true,
      reason: 'assigned',
      missing: [],
    });
    await expect(checker.evaluate(actor, [read, remove])).resolves.toEqual({
      allowed: false,
      reason: 'no_assignment',
      missing: [remove],
    });
    await expect(checker.evaluate(actor, { anyOf: [read, remove] })).resolves.toMatchObject({
      allowed: true,
    });
  });

  it('require passes silently when allowed, and refuses with forbidden and a security event otherwise', async () => {
    await expect(
      checker.require(actor, read, { type: 'file', id: f1, ownerId: actor.userId }),
    ).resolves.toBeUndefined();
    const error = await checker
      .require(actor, [read, remove], { type: 'file', id: f1, ownerId: actor.userId })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({
      code: 'forbidden',
      message: `Missing permission: ${remove}`,
      details: {
        reason: 'no_assignment',
        missing: [remove],
        match: 'all',
        resource: { type: 'file', id: f1 },
      },
    });
    await expect(checker.require(actor, { anyOf: [remove, 'file:file:share'] })).rejects.toMatchObject({
      message: `This needs one of the permissions ${remove}, file:file:share`,
    });
    await expect(checker.require(actor, [remove, 'file:file:share'])).rejects.toMatchObject({
      message: `Missing permissions: ${remove}, file:file:share`,
    });
    expect(lines.filter((line) => line['securityEvent'] === true)[0]).toMatchObject({
      type: 'permission',
      outcome: 'denied',
      reason: 'no_assignment',
      actorId: actor.userId,
      tenantId: actor.tenantId,
      requirement: [read, remove],
      missing: [remove],
      resource: `file:${f1}`,
      by: 'checker',
    });
  });

  it('never allows a resource of another tenant', async () => {
    rules = [{ action: read, subject: 'all' }];
    await expect(checker.can(actor, read, { type: 'file', id: f1, tenantId: actor.tenantId })).resolves.toBe(
      true,
    );
    await expect(
      checker.require(actor, read, { type: 'file', id: f1, tenantId: otherTenant }),
    ).rejects.toMatchObject({
      code: 'forbidden',
      message: 'The resource belongs to another tenant',
      details: { reason: 'other_tenant' },
    });
  });

  it('refuses malformed permissions and resources before asking anything', async () => {
    await expect(checker.can(actor, 'file:file')).rejects.toMatchObject({ code: 'internal' });
    await expect(checker.require(actor, [])).rejects.toMatchObject({ code: 'internal' });
    await expect(checker.evaluate(actor, { anyOf: ['x'] })).rejects.toMatchObject({ code: 'internal' });
    await expect(checker.can(actor, read, { type: 'file', id: 'nope' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(checker.require(actor, read, { type: 'planet' as 'file', id: f1 })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(permissionsOf).not.toHaveBeenCalled();
  });
});

describe('accessTokenOf', () => {
  function context(type: string, args: unknown[]): ExecutionContext {
    const host = new ExecutionContextHost(args);
    host.setType(type);
    return host;
  }

  it('reads the Authorization header of HTTP requests', () => {
    expect(accessTokenOf(context('http', [{ headers: { authorization: 'Bearer abc' } }]))).toBe('abc');
    expect(
      accessTokenOf(context('http', [{ headers: { authorization: ['bearer  xyz', 'Bearer other'] } }])),
    ).toBe('xyz');
    expect(accessTokenOf(context('http', [{ headers: { authorization: 'Basic abc' } }]))).toBeUndefined();
    expect(accessTokenOf(context('http', [{}]))).toBeUndefined();
  });

  it('reads the Authorization header of NATS requests, exactly as AuthGuard does', () => {
    const headers = natsHeaders();
    headers.set(headerNames.authorization, 'Bearer nats-token');
    expect(accessTokenOf(context('rpc', [{}, new NatsContext(['s', headers])]))).toBe('nats-token');
    expect(accessTokenOf(context('rpc', [{}, new NatsContext(['s', undefined])]))).toBeUndefined();
    expect(accessTokenOf(context('rpc', [{}, {}]))).toBeUndefined();
  });

  it('reads the Socket.IO handshake auth token, then its Authorization header', () => {
    expect(accessTokenOf(context('ws', [{ handshake: { auth: { token: 'plain' } } }]))).toBe('plain');
    expect(accessTokenOf(context('ws', [{ handshake: { auth: { token: 'Bearer wrapped' } } }]))).toBe(
      'wrapped',
    );
    expect(
      accessTokenOf(
        context('ws', [{ handshake: { auth: { token: '' }, headers: { authorization: 'Bearer h' } } }]),
      ),
    ).toBe('h');
    expect(accessTokenOf(context('ws', [{}]))).toBeUndefined();
  });

  it('prefers a token attached to the request carrier', () => {
    const socket = { handshake: { auth: { token: 'old' } } };
    attachAccessToken(socket, 'new');
    expect(accessTokenOf(context('ws', [socket]))).toBe('new');
  });

  it('has nothing for other transports', () => {
    expect(accessTokenOf(context('graphql', [{}]))).toBeUndefined();
  });
});
