import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ParleyError } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import type { NatsRpcClient, RpcRequestOptions } from '@parley/nats';
import type { AbilityCache } from '@parley/permissions';
import { StandingPlan, StandingsGateway, StandingsTransaction, type StandingChange } from './standings.js';

configureLogging({ service: 'conversation', level: 'silent' });

const tenantId = randomUUID();
const conversationId = randomUUID();

interface Sent {
  payload: unknown;
  options: RpcRequestOptions;
}

/** Answers permission.v1.standing.set with what the test queues: a result or an error. */
class PermissionStandIn {
  readonly sent: Sent[] = [];
  readonly answers: Array<Error | undefined> = [];

  readonly rpc = {
    request: (_contract: unknown, payload: unknown, options: RpcRequestOptions) => {
      this.sent.push({ payload, options });
      const answer = this.answers.shift();
      return answer === undefined ? Promise.resolve({ standings: [] }) : Promise.reject(answer);
    },
  } as unknown as NatsRpcClient;
}

function setup() {
  const permission = new PermissionStandIn();
  const tokens = { issued: 0, resets: 0 };
  const tokenSource = {
    accessToken: () => Promise.resolve(`token-${(tokens.issued += 1)}`),
    reset: () => {
      tokens.resets += 1;
    },
  };
  const invalidated: string[] = [];
  const cache = {
    invalidateActor: (tenant: string, actor: string) => invalidated.push(`${tenant}/${actor}`),
  } as unknown as AbilityCache;
  const gateway = new StandingsGateway(permission.rpc, tokenSource, cache);
  return { permission, tokens, invalidated, gateway };
}

const member = (actorId = randomUUID()): StandingChange => ({
  actorId,
  standing: 'member',
  validUntil: null,
});

describe('StandingsGateway', () => {
  it('sends the standings with its own token, then drops cached permissions', async () => {
    const { permission, invalidated, gateway } = setup();
    const change = { ...member(), validUntil: new Date('2030-01-01T00:00:00Z') };
    await gateway.set(tenantId, conversationId, [change]);
    expect(permission.sent).toEqual([
      {
        payload: {
          tenantId,
          conversationId,
          standings: [
            { actorId: change.actorId, standing: 'member', validUntil: '2030-01-01T00:00:00.000Z' },
          ],
        },
        options: { token: 'token-1' },
      },
    ]);
    expect(invalidated).toEqual([`${tenantId}/${change.actorId}`]);
  });

  it('sends nothing for no change, and refuses more than one request can carry', async () => {
    const { permission, gateway } = setup();
    await gateway.set(tenantId, conversationId, []);
    expect(permission.sent).toEqual([]);
    const many = Array.from({ length: 1001 }, () => member());
    await expect(gateway.set(tenantId, conversationId, many)).rejects.toMatchObject({ code: 'internal' });
  });

  it('logs in afresh once when its token is refused', async () => {
    const { permission, tokens, gateway } = setup();
    permission.answers.push(new ParleyError('unauthenticated', 'Expired'));
    await gateway.set(tenantId, conversationId, [member()]);
    expect(tokens.resets).toBe(1);
    expect(permission.sent.map((sent) => sent.options.token)).toEqual(['token-1', 'token-2']);
  });

  it('answers unavailable, changing nothing, when the permission service refuses or is away', async () => {
    const { permission, invalidated, gateway } = setup();
    permission.answers.push(
      new ParleyError('unauthenticated', 'Expired'),
      new ParleyError('unauthenticated', 'Still expired'),
    );
    await expect(gateway.set(tenantId, conversationId, [member()])).rejects.toMatchObject({
      code: 'unavailable',
      details: { reason: 'unauthenticated' },
    });
    permission.answers.push(new Error('connection closed'));
    await expect(gateway.set(tenantId, conversationId, [member()])).rejects.toMatchObject({
      code: 'unavailable',
      details: { reason: 'error' },
    });
    expect(invalidated).toEqual([]);
  });
});

describe('StandingsTransaction', () => {
  const manager = {} as EntityManager;

  function dataSource(commit: () => void): DataSource {
    return {
      transaction: async (work: (manager: EntityManager) => Promise<unknown>) => {
        const result = await work(manager);
        commit();
        return result;
      },
    } as unknown as DataSource;
  }

  it('sets the planned standings before the commit', async () => {
    const { permission, gateway } = setup();
    const transaction = new StandingsTransaction(
      dataSource(() => undefined),
      gateway,
    );
    const change = member();
    const result = await transaction.run(tenantId, (_manager, plan) => {
      plan.add(conversationId, { ...change, previous: null });
      return Promise.resolve('done');
    });
    expect(result).toBe('done');
    expect(permission.sent).toHaveLength(1);
  });

  it('calls nothing when the work plans no standing or fails first', async () => {
    const { permission, gateway } = setup();
    const transaction = new StandingsTransaction(
      dataSource(() => undefined),
      gateway,
    );
    await expect(transaction.run(tenantId, () => Promise.resolve(1))).resolves.toBe(1);
    await expect(transaction.run(tenantId, () => Promise.reject(new Error('refused')))).rejects.toThrow(
      'refused',
    );
    expect(permission.sent).toEqual([]);
  });

  it('sets the standings back when the commit fails after they were set', async () => {
    const { permission, gateway } = setup();
    const transaction = new StandingsTransaction(
      dataSource(() => {
        throw new Error('commit failed');
      }),
      gateway,
    );
    const promoted = randomUUID();
    const joined = randomUUID();
    const until = new Date('2031-05-01T00:00:00Z');
    await expect(
      transaction.run(tenantId, (_manager, plan) => {
        plan.add(conversationId, {
          actorId: promoted,
          standing: 'owner',
          validUntil: null,
          previous: { standing: 'member', validUntil: until },
        });
        plan.add(conversationId, { ...member(joined), previous: null });
        return Promise.resolve();
      }),
    ).rejects.toThrow('commit failed');
    expect(permission.sent.map((sent) => (sent.payload as { standings: unknown }).standings)).toEqual([
      [
        { actorId: promoted, standing: 'owner', validUntil: null },
        { actorId: joined, standing: 'member', validUntil: null },
      ],
      [
        { actorId: promoted, standing: 'member', validUntil: until.toISOString() },
        { actorId: joined, standing: null, validUntil: null },
      ],
    ]);
  });

  it('still reports the failed commit when setting the standings back fails too', async () => {
    const { permission, gateway } = setup();
    const transaction = new StandingsTransaction(
      dataSource(() => {
        throw new Error('commit failed');
      }),
      gateway,
    );
    permission.answers.push(undefined, new Error('away'));
    await expect(
      transaction.run(tenantId, (_manager, plan) => {
        plan.add(conversationId, { ...member(), previous: null });
        return Promise.resolve();
      }),
    ).rejects.toThrow('commit failed');
    expect(permission.sent).toHaveLength(2);
  });
});

describe('StandingPlan', () => {
  it('belongs to one conversation', () => {
    const plan = new StandingPlan(tenantId);
    expect(plan.conversationId).toBeUndefined();
    plan.add(conversationId, { ...member(), previous: null });
    expect(() => plan.add(randomUUID(), { ...member(), previous: null })).toThrow(ParleyError);
    expect(plan.changes).toHaveLength(1);
  });
});
