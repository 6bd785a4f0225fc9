import 'reflect-metadata';
import { jest } from '@jest/globals';
import { Writable } from 'node:stream';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { NatsContext } from '@nestjs/microservices';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { attachPrincipal, type AuthGuard } from '@parley/auth';
import { headerNames, ParleyError, type CaslRule, type Principal } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { CompiledPermissions } from './ability.js';
import type { AbilityCache } from './ability.cache.js';
import { attachAccessToken } from './access-token.js';
import { PermissionChecker } from './permission.checker.js';
import { PermissionGuard } from './permission.guard.js';
import {
  AuthenticatedOnly,
  Public,
  RequirePermissions,
  resourceField,
  type ResourceInput,
} from './requirement.js';

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
const securityEvents = () => lines.filter((line) => line['securityEvent'] === true);

const actor: Principal = {
  userId: '0193a5e0-0000-7000-8000-0000000000a1',
  tenantId: '0193a5e0-0000-7000-8000-0000000000b1',
  sessionId: '0193a5e0-0000-7000-8000-0000000000c1',
  kind: 'person',
};
const c1 = '0193a5e0-0000-7000-8000-0000000000d1';
const c2 = '0193a5e0-0000-7000-8000-0000000000d2';
const send = 'conversation:message:send';
const restricted = 'conversation:message:send-restricted';
const read = 'file:file:read';
const inConversation = resourceField('conversation', 'conversationId');

class Handlers {
  @Public()
  open() {}

  undeclared() {}

  @AuthenticatedOnly()
  signedIn() {}

  @RequirePermissions(send)
  sendAnywhere() {}

  @RequirePermissions(send, restricted)
  sendRestricted() {}

  @RequirePermissions({ anyOf: [send, restricted] })
  sendEither() {}

  @RequirePermissions(send, { resource: inConversation })
  sendHere() {}

  @RequirePermissions(read, {
    // A resolver claiming ownership from the request: the guard must not believe it.
    resource: (input) =>
      ({ type: 'file', id: String(input['fileId']), ownerId: actor.userId }) as ResourceInput,
  })
  readFile() {}

  @RequirePermissions(send, { resource: () => undefined })
  nameless() {}

  @RequirePermissions(send, { resource: () => ({ type: 'conversation', id: 'not-a-uuid' }) })
  malformed() {}
}

type HandlerName = keyof Handlers;

interface Call {
  transport?: 'http' | 'rpc' | 'ws';
  data?: unknown;
  params?: Record<string, string>;
  token?: string;
  /** Attached by an earlier guard (or a gateway). */
  principal?: Principal;
}

function contextFor(handler: HandlerName, call: Call = {}): { context: ExecutionContext; carrier: object } {
  const transport = call.transport ?? 'rpc';
  let args: unknown[];
  let carrier: object;
  if (transport === 'http') {
    carrier = {
      headers: call.token === undefined ? {} : { authorization: `Bearer ${call.token}` },
      params: call.params ?? {},
      body: call.data,
    };
    args = [carrier, {}, () => undefined];
  } else if (transport === 'rpc') {
    const headers = natsHeaders();
    if (call.token !== undefined) {
      headers.set(headerNames.authorization, `Bearer ${call.token}`);
    }
    carrier = new NatsContext(['subject', headers]);
    args = [call.data, carrier];
  } else {
    carrier = { handshake: { auth: call.token === undefined ? {} : { token: call.token } } };
    args = [carrier, call.data];
  }
  if (call.principal !== undefined) {
    attachPrincipal(carrier, call.principal);
  }
  const context = new ExecutionContextHost(args, Handlers, Handlers.prototype[handler]);
  context.setType(transport);
  return { context, carrier };
}

describe('PermissionGuard', () => {
  let rules: CaslRule[];
  let permissionsOf: jest.Mock<
    (principal: Principal, token: string | undefined) => Promise<CompiledPermissions>
  >;
  let authenticate: jest.Mock<(context: ExecutionContext) => Promise<boolean>>;
  let guard: PermissionGuard;

  beforeEach(() => {
    lines.length = 0;
    rules = [];
    permissionsOf = jest.fn(async () => new CompiledPermissions(rules));
    // Stands for AuthGuard: a token "good-…" is valid and becomes the actor.
    authenticate = jest.fn(async (context: ExecutionContext) => {
      const carrier =
        context.getType() === 'http'
          ? context.switchToHttp().getRequest<object>()
          : context.switchToRpc().getContext<object>();
      const headers =
        context.getType() === 'http'
          ? (carrier as { headers: Record<string, string> }).headers['authorization']
          : (carrier as { getHeaders(): MsgHdrs | undefined }).getHeaders()?.get(headerNames.authorization);
      if (typeof headers !== 'string' || !headers.startsWith('Bearer good')) {
        throw new ParleyError('unauthenticated', 'An access token is required');
      }
      attachPrincipal(carrier, actor);
      return true;
    });
    const cache = { permissionsOf } as unknown as AbilityCache;
    guard = new PermissionGuard(
      { canActivate: authenticate } as CanActivate as AuthGuard,
      new PermissionChecker(cache),
    );
  });

  const run = (handler: HandlerName, call?: Call) => guard.canActivate(contextFor(handler, call).context);
  const refusal = (handler: HandlerName, call?: Call) =>
    run(handler, call).then(
      () => {
        throw new Error('Expected a refusal');
      },
      (error: unknown) => {
        if (error instanceof ParleyError) {
          return error;
        }
        throw error;
      },
    );

  it('lets @Public handlers through without looking for an actor', async () => {
    await expect(run('open', { transport: 'http' })).resolves.toBe(true);
    expect(authenticate).not.toHaveBeenCalled();
    expect(permissionsOf).not.toHaveBeenCalled();
  });

  it('refuses handlers without declaration, whoever calls, and logs it', async () => {
    const error = await refusal('undeclared', { token: 'good', principal: actor });
    expect(error).toMatchObject({ code: 'forbidden', details: { reason: 'no_requirement' } });
    expect(authenticate).not.toHaveBeenCalled();
    expect(securityEvents()).toEqual([
      expect.objectContaining({
        type: 'permission',
        outcome: 'denied',
        reason: 'no_requirement',
        actorId: actor.userId,
        tenantId: actor.tenantId,
        handler: 'Handlers.undeclared',
        transport: 'rpc',
      }),
    ]);
    await expect(refusal('undeclared')).resolves.toMatchObject({ code: 'forbidden' });
    expect(securityEvents()[1]).not.toHaveProperty('actorId');
  });

  it('needs only a verified actor for @AuthenticatedOnly, verifying the token itself when it runs first', async () => {
    await expect(run('signedIn', { token: 'good' })).resolves.toBe(true);
    expect(authenticate).toHaveBeenCalledTimes(1);
    await expect(refusal('signedIn', { token: 'bad' })).resolves.toMatchObject({ code: 'unauthenticated' });
    await expect(run('signedIn', { principal: actor })).resolves.toBe(true);
    expect(authenticate).toHaveBeenCalledTimes(2);
    expect(permissionsOf).not.toHaveBeenCalled();
  });

  it('refuses when authentication passes without a principal', async () => {
    authenticate.mockResolvedValueOnce(true);
    await expect(refusal('signedIn', { token: 'good' })).resolves.toMatchObject({ code: 'unauthenticated' });
  });

  it('hands the request’s own token to the cache', async () => {
    rules = [{ action: send, subject: 'all' }];
    await run('sendAnywhere', { token: 'good-rpc' });
    await run('sendAnywhere', { transport: 'http', token: 'good-http' });
    expect(permissionsOf.mock.calls.map(([, token]) => token)).toEqual(['good-rpc', 'good-http']);
  });

  interface GuardCase {
    handler: HandlerName;
    rules: CaslRule[];
    call?: Call;
    allowed: boolean;
    details?: Record<string, unknown>;
  }

  const scopedSend = (id: string): CaslRule => ({
    action: send,
    subject: 'conversation',
    conditions: { id },
  });
  const cases: Array<[string, GuardCase]> = [
    [
      'tenant-wide permission',
      { handler: 'sendAnywhere', rules: [{ action: send, subject: 'all' }], allowed: true },
    ],
    [
      'resource-scoped permission on a check without resource',
      { handler: 'sendAnywhere', rules: [scopedSend(c1)], allowed: false, details: { missing: [send] } },
    ],
    [
      'AND: one of two',
      {
        handler: 'sendRestricted',
        rules: [{ action: send, subject: 'all' }],
        allowed: false,
        details: { reason: 'no_assignment', missing: [restricted], match: 'all' },
      },
    ],
    [
      'AND: both',
      {
        handler: 'sendRestricted',
        rules: [
          { action: send, subject: 'all' },
          { action: restricted, subject: 'all' },
        ],
        allowed: true,
      },
    ],
    ['anyOf: one', { handler: 'sendEither', rules: [{ action: restricted, subject: 'all' }], allowed: true }],
    [
      'anyOf: none',
      {
        handler: 'sendEither',
        rules: [],
        allowed: false,
        details: { missing: [send, restricted], match: 'any' },
      },
    ],
    [
      'on the named resource (rpc payload)',
      { handler: 'sendHere', rules: [scopedSend(c1)], call: { data: { conversationId: c1 } }, allowed: true },
    ],
    [
      'on another resource (rpc payload)',
      {
        handler: 'sendHere',
        rules: [scopedSend(c1)],
        call: { data: { conversationId: c2 } },
        allowed: false,
        details: { missing: [send], resource: { type: 'conversation', id: c2 } },
      },
    ],
    [
      'on the named resource (route parameter)',
      {
        handler: 'sendHere',
        rules: [scopedSend(c1)],
        call: { transport: 'http', params: { conversationId: c1 }, data: { text: 'hi' } },
        allowed: true,
      },
    ],
    [
      'on the named resource (body)',
      {
        handler: 'sendHere',
        rules: [scopedSend(c1)],
        call: { transport: 'http', data: { conversationId: c1 } },
        allowed: true,
      },
    ],
    [
      'tenant-wide reaches the named resource',
      {
        handler: 'sendHere',
        rules: [{ action: send, subject: 'all' }],
        call: { data: { conversationId: c2 } },
        allowed: true,
      },
    ],
    [
      'ownership claimed by the request is not believed',
      {
        handler: 'readFile',
        rules: [{ action: read, subject: 'all', conditions: { ownerId: actor.userId } }],
        call: { data: { fileId: c1 } },
        allowed: false,
      },
    ],
  ];

  it.each(cases)('%s', async (_name, check) => {
    rules = check.rules;
    const call = { token: 'good', ...check.call };
    if (check.allowed) {
      await expect(run(check.handler, call)).resolves.toBe(true);
      expect(securityEvents()).toEqual([]);
      return;
    }
    const error = await refusal(check.handler, call);
    expect(error.code).toBe('forbidden');
    expect(error.details).toMatchObject(check.details ?? {});
    expect(error.message).toMatch(/conversation:|file:/);
    expect(securityEvents()).toEqual([
      expect.objectContaining({
        type: 'permission',
        outcome: 'denied',
        actorId: actor.userId,
        tenantId: actor.tenantId,
        handler: `Handlers.${check.handler}`,
        missing: error.details?.['missing'],
      }),
    ]);
  });

  it('refuses a request that names no resource or a malformed one', async () => {
    await expect(refusal('nameless', { token: 'good' })).resolves.toMatchObject({
      code: 'validation_failed',
    });
    await expect(refusal('malformed', { token: 'good' })).resolves.toMatchObject({
      code: 'validation_failed',
    });
    await expect(refusal('sendHere', { token: 'good', data: 'not an object' })).resolves.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      refusal('sendHere', { transport: 'http', token: 'good', params: { conversationId: c1 }, data: [c2] }),
    ).resolves.toMatchObject({ code: 'forbidden' });
    expect(permissionsOf).toHaveBeenCalledTimes(1);
  });

  it('refuses an HTTP request whose body contradicts its path', async () => {
    rules = [scopedSend(c1)];
    const error = await refusal('sendHere', {
      transport: 'http',
      token: 'good',
      params: { conversationId: c1 },
      data: { conversationId: c2 },
    });
    expect(error).toMatchObject({ code: 'validation_failed' });
    expect(permissionsOf).not.toHaveBeenCalled();
  });

  describe('Socket.IO', () => {
    it('uses the principal and the handshake token the gateway verified', async () => {
      rules = [scopedSend(c1)];
      const { context } = contextFor('sendHere', {
        transport: 'ws',
        principal: actor,
        token: 'Bearer ws-token',
        data: { conversationId: c1 },
      });
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(permissionsOf).toHaveBeenCalledWith(actor, 'ws-token');
      expect(authenticate).not.toHaveBeenCalled();
    });

    it('prefers a token the gateway attached', async () => {
      rules = [{ action: send, subject: 'all' }];
      const { context, carrier } = contextFor('sendAnywhere', {
        transport: 'ws',
        principal: actor,
        token: 'old',
      });
      attachAccessToken(carrier, 'refreshed');
      await guard.canActivate(context);
      expect(permissionsOf).toHaveBeenCalledWith(actor, 'refreshed');
    });

    it('refuses a socket without verified principal', async () => {
      await expect(refusal('signedIn', { transport: 'ws', token: 'good' })).resolves.toMatchObject({
        code: 'unauthenticated',
      });
      expect(authenticate).not.toHaveBeenCalled();
    });
  });

  it('refuses contexts it does not know', async () => {
    const context = new ExecutionContextHost([], Handlers, Handlers.prototype.open);
    context.setType('graphql');
    await expect(guard.canActivate(context)).rejects.toMatchObject({ code: 'internal' });
  });
});
