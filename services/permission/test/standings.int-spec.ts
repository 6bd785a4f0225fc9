import { randomUUID } from 'node:crypto';
import { permissionRequests as api, type Principal } from '@parley/contracts';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import {
  bootstrapWorld,
  eventually,
  failureOf,
  handled,
  publishUserCreated,
  startPermissionUnderTest,
  streamEvents,
  type PermissionUnderTest,
  type PublishedEvent,
  type World,
} from './permission.harness.js';
import { newPrincipal } from './tokens.js';

describe('standings in conversations and the sets every user holds', () => {
  let service: PermissionUnderTest;
  let world: World;
  /** A service account of the platform tenant holding platform-service. */
  let platformService: Principal;

  beforeAll(async () => {
    service = await startPermissionUnderTest();
    world = await bootstrapWorld(service);
    platformService = newPrincipal(world.platformTenant.id, 'service');
    await service.call(
      api.createAssignment,
      { actorId: platformService.userId, permissionSetId: systemPermissionSets.platformService.id },
      world.operator,
    );
  });
  afterAll(() => service.stop());
  afterEach(() => service.clock.reset());

  function setStandings(
    conversationId: string,
    standings: { actorId: string; standing: 'owner' | 'administrator' | 'member' | 'guest' | null }[],
    as: Principal = platformService,
    tenantId = world.tenant.id,
  ) {
    return service.call(api.setStandings, { tenantId, conversationId, standings }, as);
  }

  function check(who: Principal, permission: string, conversationId: string) {
    return service.call(
      api.check,
      { actorId: who.userId, permission, resource: { type: 'conversation', id: conversationId } },
      who,
    );
  }

  it('gives each standing its permission set on the conversation, and only there', async () => {
    const conversationId = randomUUID();
    const [owner, member, guest] = [1, 2, 3].map(() => newPrincipal(world.tenant.id));
    const { standings } = await setStandings(conversationId, [
      { actorId: owner!.userId, standing: 'owner' },
      { actorId: member!.userId, standing: 'member' },
      { actorId: guest!.userId, standing: 'guest' },
    ]);
    expect(standings.map((entry) => [entry.standing, entry.changed])).toEqual([
      ['owner', true],
      ['member', true],
      ['guest', true],
    ]);
    const restricted = 'conversation:message:send-restricted';
    expect((await check(owner!, restricted, conversationId)).allowed).toBe(true);
    expect((await check(member!, restricted, conversationId)).reason).toBe('no_assignment');
    expect((await check(member!, 'conversation:message:send', conversationId)).allowed).toBe(true);
    expect((await check(member!, 'conversation:message:react', conversationId)).allowed).toBe(true);
    expect((await check(guest!, 'conversation:message:send', conversationId)).allowed).toBe(false);
    expect((await check(guest!, 'conversation:message:read', conversationId)).allowed).toBe(true);
    // Scoped: nothing on another conversation.
    expect((await check(owner!, 'conversation:message:read', randomUUID())).allowed).toBe(false);
  });

  it('replaces a standing, keeps an unchanged one, revokes on null, and publishes each change', async () => {
    const conversationId = randomUUID();
    const user = newPrincipal(world.tenant.id);
    const first = await setStandings(conversationId, [{ actorId: user.userId, standing: 'member' }]);
    const again = await setStandings(conversationId, [{ actorId: user.userId, standing: 'member' }]);
    expect(again.standings[0]).toMatchObject({
      assignmentId: first.standings[0]!.assignmentId,
      changed: false,
    });
    const promoted = await setStandings(conversationId, [
      { actorId: user.userId, standing: 'administrator' },
    ]);
    expect(promoted.standings[0]!.assignmentId).not.toBe(first.standings[0]!.assignmentId);
    expect((await check(user, 'conversation:message:moderate', conversationId)).allowed).toBe(true);
    const { items } = await service.call(
      api.listAssignments,
      { actorId: user.userId, resource: { type: 'conversation', id: conversationId } },
      user,
    );
    expect(items.map((item) => item.permissionSetId)).toEqual([
      systemPermissionSets.conversationAdministrator.id,
    ]);
    const left = await setStandings(conversationId, [{ actorId: user.userId, standing: null }]);
    expect(left.standings[0]).toMatchObject({ standing: null, assignmentId: null, changed: true });
    expect((await check(user, 'conversation:message:read', conversationId)).allowed).toBe(false);
    const idle = await setStandings(conversationId, [{ actorId: user.userId, standing: null }]);
    expect(idle.standings[0]!.changed).toBe(false);
    const ofUser = (all: PublishedEvent[]) =>
      all.filter(
        (event) => event.subject.endsWith('assignment.changed') && event.payload['actorId'] === user.userId,
      );
    const changes = ofUser(
      await eventually(
        () => streamEvents(service),
        (all) => ofUser(all).length >= 4,
      ),
    );
    expect(changes.map((event) => event.payload['change'])).toEqual([
      'created',
      'revoked',
      'created',
      'revoked',
    ]);
  });

  it('ends a membership at its valid until', async () => {
    const conversationId = randomUUID();
    const user = newPrincipal(world.tenant.id);
    const validUntil = new Date(service.clock.now().getTime() + 60_000).toISOString();
    await service.call(
      api.setStandings,
      {
        tenantId: world.tenant.id,
        conversationId,
        standings: [{ actorId: user.userId, standing: 'member', validUntil }],
      },
      platformService,
    );
    expect((await check(user, 'conversation:message:read', conversationId)).allowed).toBe(true);
    service.clock.advance(61_000);
    expect((await check(user, 'conversation:message:read', conversationId)).reason).toBe('expired');
    const past = new Date(service.clock.now().getTime() - 1).toISOString();
    const refused = await failureOf(
      service.call(
        api.setStandings,
        {
          tenantId: world.tenant.id,
          conversationId,
          standings: [{ actorId: user.userId, standing: 'member', validUntil: past }],
        },
        platformService,
      ),
    );
    expect(refused).toMatchObject({ code: 'validation_failed' });
  });

  it('is refused to anyone without permission:standing:set, and to a tenant administrator', async () => {
    const user = { actorId: randomUUID(), standing: 'owner' as const };
    const byAdmin = await failureOf(setStandings(randomUUID(), [user], world.admin));
    expect(byAdmin).toMatchObject({ code: 'forbidden', details: { permission: 'permission:standing:set' } });
    const byUser = await failureOf(setStandings(randomUUID(), [user], newPrincipal(world.tenant.id)));
    expect(byUser).toMatchObject({ code: 'forbidden' });
    // A tenant administrator cannot even assign the platform-service set in its own tenant.
    const assigned = await failureOf(
      service.call(
        api.createAssignment,
        { actorId: randomUUID(), permissionSetId: systemPermissionSets.platformService.id },
        world.admin,
      ),
    );
    expect(assigned).toMatchObject({ code: 'forbidden' });
  });

  it('refuses an actor named twice', async () => {
    const actorId = randomUUID();
    const refused = await failureOf(
      service.send(
        api.setStandings,
        {
          tenantId: world.tenant.id,
          conversationId: randomUUID(),
          standings: [
            { actorId, standing: 'member' },
            { actorId, standing: 'guest' },
          ],
        },
        platformService,
      ),
    );
    expect(refused).toMatchObject({ code: 'validation_failed' });
  });

  it('gives every new person and bot tenant-user, and file-owner for what they own', async () => {
    const msgId = randomUUID();
    const person = await publishUserCreated(service, world.tenant.id, 'person', msgId);
    await handled(service, 'permission-identity-user-created', msgId);
    const { items } = await service.call(api.listAssignments, { actorId: person.userId }, person);
    expect(items.map((item) => [item.permissionSetId, item.conditions])).toEqual(
      expect.arrayContaining([
        [systemPermissionSets.tenantUser.id, {}],
        [systemPermissionSets.fileOwner.id, { ownedByActor: true }],
      ]),
    );
    const create = await service.call(
      api.check,
      { actorId: person.userId, permission: 'conversation:conversation:create' },
      person,
    );
    expect(create.allowed).toBe(true);
    const own = { type: 'file' as const, id: randomUUID(), ownerId: person.userId };
    const other = { ...own, ownerId: randomUUID() };
    const readOwn = await service.call(
      api.check,
      { actorId: person.userId, permission: 'file:file:read', resource: own },
      person,
    );
    const readOther = await service.call(
      api.check,
      { actorId: person.userId, permission: 'file:file:read', resource: other },
      person,
    );
    expect([readOwn.allowed, readOther.reason]).toEqual([true, 'condition_not_met']);
  });
});
