import { randomUUID } from 'node:crypto';
import { permissionRequests as api, type Principal } from '@parley/contracts';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import {
  bootstrapWorld,
  failureOf,
  publishedEvent,
  publishTenantCreated,
  startPermissionUnderTest,
  streamEvents,
  type PermissionUnderTest,
  type World,
} from './permission.harness.js';
import { newPrincipal } from './tokens.js';

const member = systemPermissionSets.conversationMember.id;

describe('assignments and checks', () => {
  let service: PermissionUnderTest;
  let world: World;
  let admin: Principal;
  let tenantId: string;

  beforeAll(async () => {
    service = await startPermissionUnderTest();
    world = await bootstrapWorld(service);
    admin = world.admin;
    tenantId = world.tenant.id;
  });
  afterAll(() => service.stop());
  afterEach(() => service.clock.reset());

  function check(
    who: Principal,
    permission: string,
    resource?: { type: 'conversation'; id: string; ownerId?: string },
  ) {
    return service.call(
      api.check,
      { actorId: who.userId, permission, ...(resource ? { resource } : {}) },
      who,
    );
  }

  /** Sent unchecked, so that the service's own validation answers. */
  function assign(request: Record<string, unknown>) {
    return service.send(api.createAssignment, request, admin);
  }

  describe('assign, check, revoke', () => {
    it('allows exactly what is assigned, until it is revoked, and publishes each change', async () => {
      const user = newPrincipal(tenantId);
      await expect(check(user, 'conversation:message:send')).resolves.toEqual({
        allowed: false,
        reason: 'no_assignment',
        assignmentId: null,
      });
      const assignment = await assign({ actorId: user.userId, permission: 'conversation:message:send' });
      expect(assignment).toMatchObject({
        tenantId,
        actorId: user.userId,
        permission: 'conversation:message:send',
        permissionSetId: null,
        resource: null,
        validFrom: null,
        validUntil: null,
        conditions: {},
        createdById: admin.userId,
      });
      await expect(check(user, 'conversation:message:send')).resolves.toEqual({
        allowed: true,
        reason: 'assigned',
        assignmentId: assignment.id,
      });
      // Tenant-wide covers every resource of the tenant; nothing else is implied.
      await expect(
        check(user, 'conversation:message:send', { type: 'conversation', id: randomUUID() }),
      ).resolves.toMatchObject({ allowed: true });
      await expect(check(user, 'conversation:message:read')).resolves.toMatchObject({ allowed: false });

      const revoked = await service.call(api.revokeAssignment, { assignmentId: assignment.id }, admin);
      expect(revoked.assignmentId).toBe(assignment.id);
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: false,
        reason: 'no_assignment',
      });
      // Revoking again changes nothing and reports the first revocation.
      await expect(
        service.call(api.revokeAssignment, { assignmentId: assignment.id }, admin),
      ).resolves.toEqual(revoked);

      const created = await publishedEvent(
        service,
        (event) => event.payload['assignmentId'] === assignment.id && event.payload['change'] === 'created',
      );
      expect(created?.subject).toBe(`permission.v1.events.${tenantId}.assignment.changed`);
      expect(created?.payload).toEqual({
        actorId: user.userId,
        assignmentId: assignment.id,
        change: 'created',
      });
      await expect(
        publishedEvent(
          service,
          (event) => event.payload['assignmentId'] === assignment.id && event.payload['change'] === 'revoked',
        ),
      ).resolves.toBeDefined();
      const revocations = (await streamEvents(service)).filter(
        (event) => event.payload['assignmentId'] === assignment.id && event.payload['change'] === 'revoked',
      );
      expect(revocations).toHaveLength(1);
    });

    it('counts any one of several assignments that reach a permission', async () => {
      const user = newPrincipal(tenantId);
      const direct = await assign({ actorId: user.userId, permission: 'conversation:message:read' });
      const throughSet = await assign({ actorId: user.userId, permissionSetId: member });
      const first = await check(user, 'conversation:message:read');
      expect(first).toEqual({ allowed: true, reason: 'assigned', assignmentId: direct.id });
      await service.call(api.revokeAssignment, { assignmentId: direct.id }, admin);
      await expect(check(user, 'conversation:message:read')).resolves.toEqual({
        allowed: true,
        reason: 'assigned',
        assignmentId: throughSet.id,
      });
    });

    it('lists live assignments page by page; an actor may always list its own', async () => {
      const user = newPrincipal(tenantId);
      const made = [];
      for (const permission of [
        'conversation:message:read',
        'conversation:message:send',
        'conversation:participant:add',
      ]) {
        made.push(await assign({ actorId: user.userId, permission }));
      }
      await service.call(api.revokeAssignment, { assignmentId: made[1]!.id }, admin);
      const first = await service.call(api.listAssignments, { actorId: user.userId, limit: 1 }, admin);
      expect(first.items.map((item) => item.id)).toEqual([made[0]!.id]);
      expect(first.nextCursor).not.toBeNull();
      const second = await service.call(
        api.listAssignments,
        { actorId: user.userId, limit: 1, cursor: first.nextCursor! },
        user,
      );
      expect(second.items.map((item) => item.id)).toEqual([made[2]!.id]);
      expect(second.nextCursor).toBeNull();
      await expect(
        failureOf(service.call(api.listAssignments, { cursor: 'not-a-cursor' }, admin)),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field: 'cursor' } });
      await expect(failureOf(service.call(api.listAssignments, {}, user))).resolves.toMatchObject({
        code: 'forbidden',
        details: { permission: 'permission:assignment:list' },
      });
      const all = await service.call(api.listAssignments, { limit: 200 }, admin);
      expect(all.items.every((item) => item.tenantId === tenantId)).toBe(true);
      expect(all.items.map((item) => item.actorId)).toContain(admin.userId);
    });
  });

  describe('validity in time', () => {
    it('counts an assignment from validFrom until validUntil, and says why it does not', async () => {
      const t0 = new Date('2031-03-01T12:00:00Z');
      service.clock.set(t0);
      const user = newPrincipal(tenantId);
      const hour = 3_600_000;
      const assignment = await assign({
        actorId: user.userId,
        permission: 'conversation:message:send',
        validFrom: new Date(t0.getTime() + hour).toISOString(),
        validUntil: new Date(t0.getTime() + 2 * hour).toISOString(),
      });
      expect(assignment.validFrom).toBe('2031-03-01T13:00:00.000Z');
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: false,
        reason: 'not_yet_valid',
      });
      service.clock.advance(hour);
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: true,
        assignmentId: assignment.id,
      });
      service.clock.advance(hour - 1);
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({ allowed: true });
      service.clock.advance(1);
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: false,
        reason: 'expired',
      });
    });

    it('refuses an empty or past period', async () => {
      service.clock.set('2031-03-01T12:00:00Z');
      const actorId = randomUUID();
      await expect(
        failureOf(
          assign({
            actorId,
            permission: 'conversation:message:send',
            validFrom: '2031-03-02T00:00:00Z',
            validUntil: '2031-03-02T00:00:00Z',
          }),
        ),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field: 'validUntil' } });
      await expect(
        failureOf(
          assign({ actorId, permission: 'conversation:message:send', validUntil: '2031-03-01T11:00:00Z' }),
        ),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field: 'validUntil' } });
    });
  });

  describe('conditions', () => {
    // 2031-01-06 is a Monday; Berlin is UTC+1 in January.
    const window = {
      timeWindow: { start: '22:00', end: '06:00', timeZone: 'Europe/Berlin', days: [1, 1] },
    };

    it.each([
      ['Monday 21:30 in Berlin, before the window', '2031-01-06T20:30:00Z', false],
      ['Monday 22:30 in Berlin', '2031-01-06T21:30:00Z', true],
      ['Tuesday 05:59 in Berlin, after midnight of a Monday window', '2031-01-07T04:59:00Z', true],
      ['Tuesday 06:00 in Berlin, the end', '2031-01-07T05:00:00Z', false],
      ['Tuesday 22:30 in Berlin, not a listed day', '2031-01-07T21:30:00Z', false],
      ['Monday 05:00 in Berlin, the tail of a Sunday window', '2031-01-06T04:00:00Z', false],
    ])('a night window, Mondays in Berlin: %s → %s', async (_label, at, allowed) => {
      service.clock.set('2031-01-01T00:00:00Z');
      const user = newPrincipal(tenantId);
      const assignment = await assign({
        actorId: user.userId,
        permission: 'conversation:message:send',
        conditions: window,
      });
      expect(assignment.conditions).toEqual({ timeWindow: { ...window.timeWindow, days: [1] } });
      service.clock.set(at);
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject(
        allowed ? { allowed, reason: 'assigned' } : { allowed, reason: 'condition_not_met' },
      );
    });

    it('holds a day window every day when no weekdays are given', async () => {
      service.clock.set('2031-01-11T09:00:00Z'); // a Saturday
      const user = newPrincipal(tenantId);
      const assignment = await assign({
        actorId: user.userId,
        permission: 'conversation:message:send',
        conditions: { timeWindow: { start: '08:00', end: '16:00' } },
      });
      expect(assignment.conditions).toEqual({
        timeWindow: { start: '08:00', end: '16:00', timeZone: 'UTC' },
      });
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({ allowed: true });
      service.clock.set('2031-01-11T16:00:00Z');
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: false,
        reason: 'condition_not_met',
      });
    });

    it('holds for ownedByActor only on resources the actor owns', async () => {
      const user = newPrincipal(tenantId);
      await assign({
        actorId: user.userId,
        permission: 'conversation:message:delete-any',
        conditions: { ownedByActor: true },
      });
      const id = randomUUID();
      await expect(
        check(user, 'conversation:message:delete-any', { type: 'conversation', id, ownerId: user.userId }),
      ).resolves.toMatchObject({ allowed: true });
      for (const resource of [
        { type: 'conversation' as const, id, ownerId: randomUUID() },
        { type: 'conversation' as const, id },
        undefined,
      ]) {
        await expect(check(user, 'conversation:message:delete-any', resource)).resolves.toMatchObject({
          allowed: false,
          reason: 'condition_not_met',
        });
      }
    });

    it.each([
      [
        'an unknown time zone',
        { timeWindow: { start: '08:00', end: '16:00', timeZone: 'Mars/Olympus' } },
        'conditions.timeWindow.timeZone',
      ],
      ['an empty window', { timeWindow: { start: '08:00', end: '08:00' } }, 'conditions.timeWindow.end'],
    ])('refuses %s', async (_label, conditions, field) => {
      await expect(
        failureOf(assign({ actorId: randomUUID(), permission: 'conversation:message:send', conditions })),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field } });
    });

    it.each([
      ['unknown keys', { isAllowed: true }],
      ['a malformed time', { timeWindow: { start: '8am', end: '16:00' } }],
      ['a weekday out of range', { timeWindow: { start: '08:00', end: '16:00', days: [8] } }],
      [
        'an oversized time zone',
        { timeWindow: { start: '08:00', end: '16:00', timeZone: 'x'.repeat(5000) } },
      ],
      ['padding', { ownedByActor: true, note: 'x'.repeat(100_000) }],
    ])('refuses conditions with %s', async (_label, conditions) => {
      const failure = await failureOf(
        assign({ actorId: randomUUID(), permission: 'conversation:message:send', conditions }),
      );
      expect(failure).toMatchObject({ code: 'validation_failed' });
    });
  });

  describe('resource scope', () => {
    it('allows a scoped assignment on its resource only', async () => {
      const user = newPrincipal(tenantId);
      const conversation = randomUUID();
      const assignment = await assign({
        actorId: user.userId,
        permissionSetId: member,
        resource: { type: 'conversation', id: conversation },
      });
      expect(assignment.resource).toEqual({ type: 'conversation', id: conversation });
      await expect(
        check(user, 'conversation:message:send', { type: 'conversation', id: conversation }),
      ).resolves.toMatchObject({ allowed: true, assignmentId: assignment.id });
      await expect(
        check(user, 'conversation:message:send', { type: 'conversation', id: randomUUID() }),
      ).resolves.toMatchObject({ allowed: false, reason: 'no_assignment' });
      await expect(check(user, 'conversation:message:send')).resolves.toMatchObject({
        allowed: false,
        reason: 'no_assignment',
      });
      await expect(
        check(user, 'conversation:message:moderate', { type: 'conversation', id: conversation }),
      ).resolves.toMatchObject({ allowed: false });
      const listed = await service.call(
        api.listAssignments,
        { resource: { type: 'conversation', id: conversation } },
        admin,
      );
      expect(listed.items.map((item) => item.id)).toEqual([assignment.id]);
    });

    it('refuses resource types a permission is not declared for', async () => {
      const resource = { type: 'conversation' as const, id: randomUUID() };
      await expect(
        failureOf(assign({ actorId: randomUUID(), permission: 'identity:user:create', resource })),
      ).resolves.toMatchObject({
        code: 'validation_failed',
        details: { field: 'resource.type', permissions: ['identity:user:create'] },
      });
      await expect(
        failureOf(
          assign({
            actorId: randomUUID(),
            permissionSetId: systemPermissionSets.tenantAdministrator.id,
            resource,
          }),
        ),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field: 'resource.type' } });
      await expect(
        failureOf(
          service.call(
            api.check,
            {
              actorId: admin.userId,
              permission: 'identity:user:create',
              resource: { type: 'user', id: randomUUID() },
            },
            admin,
          ),
        ),
      ).resolves.toMatchObject({ code: 'validation_failed', details: { field: 'resource.type' } });
    });

    it('answers unknown permissions without an error', async () => {
      await expect(check(admin, 'conversation:message:teleport')).resolves.toEqual({
        allowed: false,
        reason: 'unknown_permission',
        assignmentId: null,
      });
    });
  });

  describe('tenant isolation', () => {
    let other: { tenantId: string; admin: Principal };

    beforeAll(async () => {
      const tenant = await publishTenantCreated(service, 'other-school');
      const otherAdmin = newPrincipal(tenant.id);
      await service.call(
        api.bootstrapTenantAdministrator,
        { tenantId: tenant.id, userId: otherAdmin.userId },
        world.operator,
      );
      other = { tenantId: tenant.id, admin: otherAdmin };
    });

    it('never lets an assignment of one tenant allow anything in another', async () => {
      const user = newPrincipal(tenantId);
      const conversation = randomUUID();
      await assign({ actorId: user.userId, permission: 'conversation:message:send' });
      await assign({
        actorId: user.userId,
        permissionSetId: member,
        resource: { type: 'conversation', id: conversation },
      });
      // The same actor id presented with a token of the other tenant holds nothing there, not even
      // on the conversation that exists in the first tenant.
      const elsewhere: Principal = { ...user, tenantId: other.tenantId };
      await expect(check(elsewhere, 'conversation:message:send')).resolves.toMatchObject({ allowed: false });
      await expect(
        check(elsewhere, 'conversation:message:send', { type: 'conversation', id: conversation }),
      ).resolves.toMatchObject({ allowed: false, reason: 'no_assignment' });
      const effective = await service.call(api.effective, { actorId: user.userId }, elsewhere);
      expect(effective).toMatchObject({ tenantId: other.tenantId, rules: [] });
    });

    it('treats a tenant as a resource of its own tenant only', async () => {
      // A permission declared for tenants, as a service might declare one.
      await service.call(api.registerCatalog, {
        service: 'file',
        domains: [{ domain: 'file', description: 'Files' }],
        permissions: [
          {
            permission: 'file:storage:configure',
            description: 'Configure storage',
            resourceTypes: ['tenant'],
          },
        ],
      });
      const own = { type: 'tenant' as const, id: other.tenantId };
      const assignment = await service.call(
        api.createAssignment,
        { actorId: other.admin.userId, permission: 'file:storage:configure', resource: own },
        other.admin,
      );
      const ask = (id: string) =>
        service.call(
          api.check,
          {
            actorId: other.admin.userId,
            permission: 'file:storage:configure',
            resource: { type: 'tenant', id },
          },
          other.admin,
        );
      await expect(ask(other.tenantId)).resolves.toEqual({
        allowed: true,
        reason: 'assigned',
        assignmentId: assignment.id,
      });
      await expect(ask(tenantId)).resolves.toEqual({
        allowed: false,
        reason: 'other_tenant',
        assignmentId: null,
      });
      await expect(
        failureOf(
          service.call(
            api.createAssignment,
            {
              actorId: randomUUID(),
              permission: 'file:storage:configure',
              resource: { type: 'tenant', id: tenantId },
            },
            other.admin,
          ),
        ),
      ).resolves.toMatchObject({ code: 'not_found', details: { field: 'resource' } });
    });

    it('answers actions on another tenant’s objects with not_found', async () => {
      const user = newPrincipal(tenantId);
      const assignment = await assign({ actorId: user.userId, permission: 'conversation:message:send' });
      const set = await service.call(
        api.createPermissionSet,
        { name: 'readers', description: 'Readers', permissions: ['conversation:message:read'] },
        admin,
      );
      await expect(
        failureOf(service.call(api.revokeAssignment, { assignmentId: assignment.id }, other.admin)),
      ).resolves.toMatchObject({ code: 'not_found' });
      await expect(
        failureOf(service.call(api.revokeAssignment, { assignmentId: randomUUID() }, other.admin)),
      ).resolves.toMatchObject({ code: 'not_found' });
      await expect(
        failureOf(
          service.call(api.createAssignment, { actorId: randomUUID(), permissionSetId: set.id }, other.admin),
        ),
      ).resolves.toMatchObject({ code: 'not_found', details: { permissionSetId: set.id } });
      for (const request of [
        { permissionSetId: set.id, description: 'Mine now' },
        { permissionSetId: randomUUID(), description: 'Nobody’s' },
      ]) {
        await expect(
          failureOf(service.call(api.updatePermissionSet, request, other.admin)),
        ).resolves.toMatchObject({ code: 'not_found' });
      }
      await expect(
        failureOf(service.call(api.deletePermissionSet, { permissionSetId: set.id }, other.admin)),
      ).resolves.toMatchObject({ code: 'not_found' });
      const listed = await service.call(api.listAssignments, { limit: 200 }, other.admin);
      expect(listed.items.every((item) => item.tenantId === other.tenantId)).toBe(true);
      expect(listed.items.some((item) => item.id === assignment.id)).toBe(false);
      const sets = await service.call(api.listPermissionSets, {}, other.admin);
      expect(sets.items.some((item) => item.id === set.id)).toBe(false);
    });
  });

  describe('bad input', () => {
    it('names a malformed permission', async () => {
      const failure = await failureOf(
        assign({ actorId: randomUUID(), permission: 'conversation:message:*' }),
      );
      expect(failure).toMatchObject({
        code: 'validation_failed',
        details: { issues: [expect.objectContaining({ path: 'permission' })] },
      });
      const onCheck = await failureOf(
        service.send(api.check, { actorId: admin.userId, permission: 'Conversation.Message' }, admin),
      );
      expect(onCheck).toMatchObject({
        code: 'validation_failed',
        details: { issues: [expect.objectContaining({ path: 'permission' })] },
      });
    });

    it('names unknown permissions and permission sets', async () => {
      await expect(
        failureOf(assign({ actorId: randomUUID(), permission: 'conversation:message:teleport' })),
      ).resolves.toMatchObject({
        code: 'not_found',
        details: { permissions: ['conversation:message:teleport'] },
      });
      const setId = randomUUID();
      await expect(
        failureOf(assign({ actorId: randomUUID(), permissionSetId: setId })),
      ).resolves.toMatchObject({
        code: 'not_found',
        details: { permissionSetId: setId },
      });
    });

    it('wants exactly one of permission and permissionSetId', async () => {
      for (const target of [{}, { permission: 'conversation:message:send', permissionSetId: member }]) {
        await expect(failureOf(assign({ actorId: randomUUID(), ...target }))).resolves.toMatchObject({
          code: 'validation_failed',
          details: { fields: ['permission', 'permissionSetId'] },
        });
      }
    });
  });

  describe('administration needs permissions', () => {
    it('refuses actors without them, and callers without a token', async () => {
      const user = newPrincipal(tenantId);
      const someone = randomUUID();
      const refusals: [Promise<unknown>, string][] = [
        [
          service.call(
            api.createAssignment,
            { actorId: someone, permission: 'conversation:message:send' },
            user,
          ),
          'permission:assignment:create',
        ],
        [
          service.call(api.revokeAssignment, { assignmentId: randomUUID() }, user),
          'permission:assignment:revoke',
        ],
        [service.call(api.listAssignments, { actorId: someone }, user), 'permission:assignment:list'],
        [
          service.call(api.check, { actorId: someone, permission: 'conversation:message:send' }, user),
          'permission:permission:check',
        ],
        [service.call(api.effective, { actorId: someone }, user), 'permission:permission:check'],
        [service.call(api.listCatalog, {}, user), 'permission:catalog:list'],
        [service.call(api.listPermissionSets, {}, user), 'permission:catalog:list'],
        [
          service.call(
            api.createPermissionSet,
            { name: 'x-set', description: 'x', permissions: ['conversation:message:send'] },
            user,
          ),
          'permission:permission-set:create',
        ],
        [
          service.call(api.updatePermissionSet, { permissionSetId: member }, user),
          'permission:permission-set:update',
        ],
        [
          service.call(api.deletePermissionSet, { permissionSetId: member }, user),
          'permission:permission-set:delete',
        ],
        [
          service.call(api.bootstrapTenantAdministrator, { tenantId, userId: someone }, user),
          'permission:tenant-administrator:bootstrap',
        ],
      ];
      for (const [attempt, permission] of refusals) {
        await expect(failureOf(attempt)).resolves.toEqual({ code: 'forbidden', details: { permission } });
      }
      await expect(
        failureOf(service.call(api.check, { actorId: someone, permission: 'conversation:message:send' })),
      ).resolves.toMatchObject({ code: 'unauthenticated' });
      // With permission:permission:check (tenant administrators have it), others can be checked.
      await expect(
        service.call(api.check, { actorId: someone, permission: 'conversation:message:send' }, admin),
      ).resolves.toMatchObject({ allowed: false, reason: 'no_assignment' });
    });
  });
});
