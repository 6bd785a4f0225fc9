import { compileRules, evaluateCheck, maxRulesLifetimeMs, type AssignmentFacts } from './evaluator.js';

const actorId = '0193a5e0-0000-7000-8000-0000000000a1';
const conversation = '0193a5e0-0000-7000-8000-0000000000c1';
const now = new Date('2031-01-06T10:00:00Z');
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);

function facts(id: string, overrides: Partial<AssignmentFacts> = {}): AssignmentFacts {
  return {
    id,
    permissions: ['conversation:message:send'],
    resource: null,
    startsAt: null,
    expiresAt: null,
    conditions: {},
    ...overrides,
  };
}

const send = { actorId, permission: 'conversation:message:send' };

describe('evaluateCheck', () => {
  it('denies by default and allows on an exact match only', () => {
    expect(evaluateCheck([], send, now)).toEqual({
      allowed: false,
      reason: 'no_assignment',
      assignmentId: null,
    });
    expect(
      evaluateCheck([facts('a', { permissions: ['conversation:message:read'] })], send, now).allowed,
    ).toBe(false);
    expect(evaluateCheck([facts('a')], send, now)).toEqual({
      allowed: true,
      reason: 'assigned',
      assignmentId: 'a',
    });
  });

  it('names the earliest assignment that holds, whatever the order given', () => {
    expect(evaluateCheck([facts('c'), facts('b'), facts('d')], send, now).assignmentId).toBe('b');
  });

  it('explains the nearest miss: conditions, then not yet valid, then expired', () => {
    const expired = facts('a', { expiresAt: minutes(0) });
    const early = facts('b', { startsAt: minutes(1) });
    const owned = facts('c', { conditions: { ownedByActor: true } });
    expect(evaluateCheck([expired], send, now).reason).toBe('expired');
    expect(evaluateCheck([expired, early], send, now).reason).toBe('not_yet_valid');
    expect(evaluateCheck([expired, early, owned], send, now).reason).toBe('condition_not_met');
  });

  it('matches scoped assignments to their resource only', () => {
    const scoped = facts('a', { resource: { type: 'conversation', id: conversation } });
    const on = (type: 'conversation' | 'file', id: string) => ({ ...send, resource: { type, id } });
    expect(evaluateCheck([scoped], on('conversation', conversation), now).allowed).toBe(true);
    expect(evaluateCheck([scoped], on('file', conversation), now).allowed).toBe(false);
    expect(evaluateCheck([scoped], on('conversation', actorId), now).allowed).toBe(false);
    expect(evaluateCheck([scoped], send, now).reason).toBe('no_assignment');
  });
});

describe('compileRules', () => {
  it('turns holding assignments into rules and leaves the others out', () => {
    const compiled = compileRules(
      [
        facts('a'),
        facts('b', {
          resource: { type: 'conversation', id: conversation },
          permissions: ['x:y:z', 'conversation:message:send'],
        }),
        facts('c', { conditions: { ownedByActor: true }, permissions: ['conversation:message:delete-any'] }),
        facts('d', { startsAt: minutes(3), permissions: ['conversation:participant:add'] }),
        facts('e', { expiresAt: minutes(-1), permissions: ['conversation:participant:remove'] }),
        facts('f', {
          conditions: { timeWindow: { start: '11:00', end: '12:00', timeZone: 'UTC' } },
          permissions: ['q:r:s'],
        }),
        facts('g'),
      ],
      actorId,
      now,
    );
    expect(compiled.rules).toEqual([
      { action: 'conversation:message:send', subject: 'all' },
      { action: 'x:y:z', subject: 'conversation', conditions: { id: conversation } },
      { action: 'conversation:message:send', subject: 'conversation', conditions: { id: conversation } },
      { action: 'conversation:message:delete-any', subject: 'all', conditions: { ownerId: actorId } },
    ]);
    expect(compiled.validUntil).toEqual(minutes(3));
  });

  it('is exact until the next end or window edge, at most the cap ahead', () => {
    expect(compileRules([], actorId, now).validUntil).toEqual(new Date(now.getTime() + maxRulesLifetimeMs));
    expect(compileRules([facts('a', { expiresAt: minutes(2) })], actorId, now).validUntil).toEqual(
      minutes(2),
    );
    const closing = facts('b', {
      conditions: { timeWindow: { start: '09:00', end: '10:04', timeZone: 'UTC' } },
    });
    expect(compileRules([closing, facts('c', { expiresAt: minutes(60) })], actorId, now).validUntil).toEqual(
      minutes(4),
    );
  });
});
