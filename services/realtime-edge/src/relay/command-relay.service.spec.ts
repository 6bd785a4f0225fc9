import { Writable } from 'node:stream';
import { conversationRequests, ParleyError, type Principal } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import type { NatsRpcClient } from '@parley/nats';
import type { EdgeSocket } from '../socket/socket-session.js';
import { CommandRelay } from './command-relay.service.js';

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});

const principal: Principal = {
  userId: '0190a000-0000-7000-8000-0000000000a1',
  tenantId: '0190a000-0000-7000-8000-0000000000b1',
  sessionId: '0190a000-0000-7000-8000-0000000000c1',
  kind: 'person',
};
const socket = { data: { principal, token: 'the-token' } } as unknown as EdgeSocket;

function relayAnswering(answer: () => Promise<unknown>, calls: unknown[] = []): CommandRelay {
  const rpc = {
    request: (contract: unknown, payload: unknown, options: unknown) => {
      calls.push([contract, payload, options]);
      return answer();
    },
  } as unknown as NatsRpcClient;
  return new CommandRelay(rpc);
}

describe('CommandRelay', () => {
  beforeAll(() => configureLogging({ service: 'relay-spec', level: 'info', destination }));
  beforeEach(() => {
    lines.length = 0;
  });

  it('calls the service with the connection’s own token and returns its answer', async () => {
    const calls: unknown[] = [];
    const relay = relayAnswering(async () => ({ answered: true }), calls);
    const payload = { conversationId: principal.tenantId };
    await expect(relay.forward(socket, conversationRequests.get, payload)).resolves.toEqual({
      answered: true,
    });
    expect(calls).toEqual([[conversationRequests.get, payload, { token: 'the-token' }]]);
  });

  it('passes refusals on, and records a resource of another tenant as a tenant violation', async () => {
    const otherTenant = new ParleyError('forbidden', 'The resource belongs to another tenant', {
      reason: 'other_tenant',
    });
    const relay = relayAnswering(() => Promise.reject(otherTenant));
    await expect(
      relay.forward(socket, conversationRequests.get, { conversationId: principal.userId }),
    ).rejects.toBe(otherTenant);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        securityEvent: true,
        type: 'tenant',
        outcome: 'denied',
        reason: 'tenant_violation',
        actorId: principal.userId,
        tenantId: principal.tenantId,
        target: conversationRequests.get.subject,
      }),
    ]);
    const plain = new ParleyError('forbidden', 'Missing permission', { reason: 'no_assignment' });
    await expect(
      relayAnswering(() => Promise.reject(plain)).forward(socket, conversationRequests.get, {
        conversationId: principal.userId,
      }),
    ).rejects.toBe(plain);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
  });
});
