import { randomUUID } from 'node:crypto';
import { createMongoAbility, subject, type MongoAbility } from '@casl/ability';
import {
  permissionRequests as api,
  type EffectivePermissions,
  type Principal,
  type Resource,
} from '@parley/contracts';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import {
  bootstrapWorld,
  failureOf,
  startPermissionUnderTest,
  type PermissionUnderTest,
} from './permission.harness.js';
import { newPrincipal } from './tokens.js';

/** A check as the design defines it on compiled rules. */
function caslAllows(ability: MongoAbility, permission: string, resource?: Resource): boolean {
  if (resource === undefined) {
    // Without a resource only tenant-wide rules without conditions count.
    return ability
      .rulesFor(permission, 'all')
      .some((rule) => rule.subject === 'all' && rule.conditions === undefined);
  }
  return ability.can(permission, subject(resource.type, { id: resource.id, ownerId: resource.ownerId }));
}

const minute = 60_000;

describe('effective permissions', () => {
  let service: PermissionUnderTest;
  let admin: Principal;
  let tenantId: string;

  beforeAll(async () => {
    service = await startPermissionUnderTest();
    ({
      admin,
      tenant: { id: tenantId },
    } = await bootstrapWorld(service));
  });
  afterAll(() => service.stop());

  it('compile to CASL rules that agree with check, as time passes', async () => {
    // Monday 10:00 UTC.
    const t0 = new Date('2031-01-06T10:00:00Z');
    service.clock.set(t0);
    const user = newPrincipal(tenantId);
    const [c1, c2, c3] = [randomUUID(), randomUUID(), randomUUID()];
    const [u1, u2] = [randomUUID(), randomUUID()];
    const assign = (request: Record<string, unknown>) =>
      service.send(api.createAssignment, { actorId: user.userId, ...request }, admin);
    await assign({ permission: 'conversation:message:read' });
    await assign({
      permissionSetId: systemPermissionSets.conversationMember.id,
      resource: { type: 'conversation', id: c1 },
    });
    await assign({ permission: 'conversation:message:delete-any', conditions: { ownedByActor: true } });
    await assign({
      permission: 'conversation:message:moderate',
      resource: { type: 'conversation', id: c2 },
      conditions: { timeWindow: { start: '09:00', end: '10:03', days: [1] } },
    });
    await assign({
      permission: 'conversation:participant:add',
      validFrom: new Date(t0.getTime() + 2 * minute).toISOString(),
    });
    await assign({
      permission: 'conversation:participant:remove',
      validUntil: new Date(t0.getTime() + 10 * minute).toISOString(),
    });
    await assign({ permission: 'identity:user:update', resource: { type: 'user', id: u1 } });
    await assign({
      permission: 'identity:user:suspend',
      resource: { type: 'user', id: u2 },
      conditions: { ownedByActor: true },
    });

    const conversationPermissions = [
      'conversation:message:read',
      'conversation:message:send',
      'conversation:message:delete-any',
      'conversation:message:moderate',
      'conversation:participant:add',
      'conversation:participant:remove',
      'conversation:conversation:update',
    ];
    const conversations: (Resource | undefined)[] = [
      undefined,
      { type: 'conversation', id: c1 },
      { type: 'conversation', id: c2 },
      { type: 'conversation', id: c3, ownerId: user.userId },
      { type: 'conversation', id: c3, ownerId: randomUUID() },
      { type: 'conversation', id: c1, ownerId: user.userId },
    ];
    const users: (Resource | undefined)[] = [
      undefined,
      { type: 'user', id: u1 },
      { type: 'user', id: u2 },
      { type: 'user', id: u2, ownerId: user.userId },
      { type: 'user', id: randomUUID() },
    ];
    const cases: [string, Resource | undefined][] = [
      ...conversationPermissions.flatMap((permission) =>
        conversations.map((resource) => [permission, resource] as [string, Resource | undefined]),
      ),
      ...['identity:user:update', 'identity:user:suspend'].flatMap((permission) =>
        users.map((resource) => [permission, resource] as [string, Resource | undefined]),
      ),
    ];

    const names = new Map<string, string>([
      [c1, 'c1'],
      [c2, 'c2'],
      [c3, 'c3'],
      [u1, 'u1'],
      [u2, 'u2'],
    ]);
    const label = (resource: Resource | undefined): string =>
      resource === undefined
        ? 'tenant'
        : `${resource.type}:${names.get(resource.id) ?? 'other'}${resource.ownerId === user.userId ? ':own' : ''}`;

    async function compare(): Promise<{ effective: EffectivePermissions; allowed: string[] }> {
      const effective = await service.call(api.effective, { actorId: user.userId }, user);
      const ability = createMongoAbility(effective.rules);
      const allowed: string[] = [];
      for (const [permission, resource] of cases) {
        const checked = await service.call(
          api.check,
          { actorId: user.userId, permission, ...(resource ? { resource } : {}) },
          user,
        );
        expect({ permission, resource, allowed: caslAllows(ability, permission, resource) }).toEqual({
          permission,
          resource,
          allowed: checked.allowed,
        });
        if (checked.allowed) {
          allowed.push(`${permission}@${label(resource)}`);
        }
      }
      return { effective, allowed };
    }

    // At 10:00: participant:add is not valid yet (from 10:02), the moderation window is open (to 10:03).
    const first = await compare();
    expect(first.effective).toMatchObject({
      actorId: user.userId,
      tenantId,
      computedAt: t0.toISOString(),
      validUntil: new Date(t0.getTime() + 2 * minute).toISOString(),
    });
    expect(first.effective.rules).toEqual(
      expect.arrayContaining([
        { action: 'conversation:message:read', subject: 'all' },
        { action: 'conversation:message:send', subject: 'conversation', conditions: { id: c1 } },
        { action: 'conversation:message:delete-any', subject: 'all', conditions: { ownerId: user.userId } },
        { action: 'conversation:message:moderate', subject: 'conversation', conditions: { id: c2 } },
        { action: 'identity:user:suspend', subject: 'user', conditions: { id: u2, ownerId: user.userId } },
      ]),
    );
    // Reading on c1 comes from two assignments, but rules are not repeated.
    const keys = first.effective.rules.map((rule) => JSON.stringify(rule));
    expect(new Set(keys).size).toBe(keys.length);
    expect(first.allowed).toEqual(
      expect.arrayContaining([
        'conversation:message:moderate@conversation:c2',
        'conversation:message:delete-any@conversation:c3:own',
        'identity:user:update@user:u1',
        'identity:user:suspend@user:u2:own',
      ]),
    );
    expect(first.allowed.filter((entry) => entry.startsWith('conversation:participant:add'))).toEqual([]);

    // 10:02:30: participant:add holds; the next change is the window closing at 10:03.
    service.clock.set(new Date(t0.getTime() + 2.5 * minute));
    const second = await compare();
    expect(second.effective.validUntil).toBe('2031-01-06T10:03:00.000Z');
    expect(second.allowed).toContain('conversation:participant:add@tenant');

    // 10:04: the window has closed; participant:remove ends at 10:10, after the 5-minute cap.
    service.clock.set(new Date(t0.getTime() + 4 * minute));
    const third = await compare();
    expect(third.effective.validUntil).toBe('2031-01-06T10:09:00.000Z');
    expect(third.allowed.filter((entry) => entry.startsWith('conversation:message:moderate'))).toEqual([]);

    // 10:11: participant:remove has ended; nothing is due, so the rules last the 5-minute cap.
    service.clock.set(new Date(t0.getTime() + 11 * minute));
    const fourth = await compare();
    expect(fourth.effective.validUntil).toBe('2031-01-06T10:16:00.000Z');
    expect(fourth.allowed.filter((entry) => entry.startsWith('conversation:participant:remove'))).toEqual([]);
    expect(fourth.effective.rules.some((rule) => rule.action === 'conversation:participant:remove')).toBe(
      false,
    );
  });

  it('are readable by the actor itself, and by others only with permission:permission:check', async () => {
    const user = newPrincipal(tenantId);
    await expect(service.call(api.effective, { actorId: user.userId }, user)).resolves.toMatchObject({
      rules: [],
    });
    await expect(service.call(api.effective, { actorId: user.userId }, admin)).resolves.toMatchObject({
      actorId: user.userId,
    });
    await expect(
      failureOf(service.call(api.effective, { actorId: admin.userId }, user)),
    ).resolves.toMatchObject({ code: 'forbidden' });
  });
});
