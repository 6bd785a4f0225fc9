import { randomUUID } from 'node:crypto';
import { permissionRequests as api, type Principal } from '@parley/contracts';
import { withClient } from '@parley/testing';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import {
  bootstrapWorld,
  eventually,
  failureOf,
  publishedEvent,
  startPermissionUnderTest,
  streamEvents,
  type PermissionUnderTest,
} from './permission.harness.js';
import { newPrincipal } from './tokens.js';

describe('permission sets', () => {
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

  const holds = async (who: Principal, permission: string, resource?: { type: 'conversation'; id: string }) =>
    (
      await service.call(
        api.check,
        { actorId: who.userId, permission, ...(resource ? { resource } : {}) },
        who,
      )
    ).allowed;

  const rows = (sql: string, values: unknown[] = []) =>
    withClient(
      service.database.url,
      async (client) => (await client.query<Record<string, unknown>>(sql, values)).rows,
    );

  it('creates a set, and a change to it takes effect for its holders at once', async () => {
    const set = await service.call(
      api.createPermissionSet,
      {
        name: 'teaching-assistant',
        description: 'Helps in class conversations',
        permissions: ['conversation:message:send', 'conversation:message:read', 'conversation:message:send'],
      },
      admin,
    );
    expect(set).toMatchObject({
      tenantId,
      name: 'teaching-assistant',
      description: 'Helps in class conversations',
      permissions: ['conversation:message:read', 'conversation:message:send'],
    });
    const user = newPrincipal(tenantId);
    await service.call(api.createAssignment, { actorId: user.userId, permissionSetId: set.id }, admin);
    expect(await holds(user, 'conversation:message:send')).toBe(true);
    expect(await holds(user, 'conversation:message:moderate')).toBe(false);

    const updated = await service.call(
      api.updatePermissionSet,
      {
        permissionSetId: set.id,
        permissions: ['conversation:message:read', 'conversation:message:moderate'],
      },
      admin,
    );
    expect(updated.permissions).toEqual(['conversation:message:moderate', 'conversation:message:read']);
    expect(updated.description).toBe(set.description);
    expect(await holds(user, 'conversation:message:moderate')).toBe(true);
    expect(await holds(user, 'conversation:message:send')).toBe(false);
    // The removed member is in the history.
    expect(
      await rows(
        'SELECT permission_id, history_operation FROM permission.permission_set_members_history WHERE permission_set_id = $1',
        [set.id],
      ),
    ).toEqual([{ permission_id: 'conversation:message:send', history_operation: 'DELETE' }]);

    // The same permissions again change nothing; dropping one only removes it.
    await expect(
      service.call(
        api.updatePermissionSet,
        {
          permissionSetId: set.id,
          permissions: ['conversation:message:moderate', 'conversation:message:read'],
        },
        admin,
      ),
    ).resolves.toEqual(updated);
    const narrowed = await service.call(
      api.updatePermissionSet,
      { permissionSetId: set.id, permissions: ['conversation:message:read'] },
      admin,
    );
    expect(narrowed.permissions).toEqual(['conversation:message:read']);
    expect(await holds(user, 'conversation:message:moderate')).toBe(false);

    const described = await service.call(
      api.updatePermissionSet,
      { permissionSetId: set.id, description: 'Assists teachers' },
      admin,
    );
    expect(described).toMatchObject({ description: 'Assists teachers', permissions: narrowed.permissions });
    // Nothing to change: the set comes back as it is.
    await expect(
      service.call(
        api.updatePermissionSet,
        { permissionSetId: set.id, description: 'Assists teachers' },
        admin,
      ),
    ).resolves.toEqual(described);

    const ofSet = async () =>
      (await streamEvents(service))
        .filter((event) => event.payload['permissionSetId'] === set.id)
        .map((event) => [event.subject, event.payload['change']]);
    const subject = `permission.v1.events.${tenantId}.permission-set.changed`;
    await expect(eventually(ofSet, (changes) => changes.length >= 4)).resolves.toEqual([
      [subject, 'created'],
      [subject, 'updated'],
      [subject, 'updated'],
      [subject, 'updated'],
    ]);
  });

  it('refuses duplicate names, system names, unknown permissions and changes to system sets', async () => {
    await service.call(
      api.createPermissionSet,
      { name: 'librarian', description: 'Files', permissions: ['conversation:message:read'] },
      admin,
    );
    for (const name of ['librarian', 'tenant-administrator']) {
      await expect(
        failureOf(
          service.call(
            api.createPermissionSet,
            { name, description: 'x', permissions: ['conversation:message:read'] },
            admin,
          ),
        ),
      ).resolves.toMatchObject({ code: 'conflict', details: { field: 'name' } });
    }
    await expect(
      failureOf(
        service.call(
          api.createPermissionSet,
          {
            name: 'dreamer',
            description: 'x',
            permissions: ['conversation:message:read', 'dream:big:now', 'x:y:z'],
          },
          admin,
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found', details: { permissions: ['dream:big:now', 'x:y:z'] } });
    await expect(
      failureOf(
        service.send(
          api.createPermissionSet,
          { name: 'Bad Name', description: 'x', permissions: ['a:b:c'] },
          admin,
        ),
      ),
    ).resolves.toMatchObject({
      code: 'validation_failed',
      details: { issues: [expect.objectContaining({ path: 'name' })] },
    });
    await expect(
      failureOf(
        service.call(
          api.updatePermissionSet,
          { permissionSetId: systemPermissionSets.conversationGuest.id, description: 'Mine' },
          admin,
        ),
      ),
    ).resolves.toMatchObject({ code: 'forbidden' });
    await expect(
      failureOf(
        service.call(
          api.deletePermissionSet,
          { permissionSetId: systemPermissionSets.conversationGuest.id },
          admin,
        ),
      ),
    ).resolves.toMatchObject({ code: 'forbidden' });
    await expect(
      failureOf(
        service.call(
          api.updatePermissionSet,
          { permissionSetId: randomUUID(), permissions: ['a:b:c'] },
          admin,
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
  });

  it('keeps a set meaningful for the resources it is assigned on', async () => {
    const set = await service.call(
      api.createPermissionSet,
      {
        name: 'room-helper',
        description: 'Helps in one conversation',
        permissions: ['conversation:message:read'],
      },
      admin,
    );
    await service.call(
      api.createAssignment,
      {
        actorId: randomUUID(),
        permissionSetId: set.id,
        resource: { type: 'conversation', id: randomUUID() },
      },
      admin,
    );
    await expect(
      failureOf(
        service.call(
          api.updatePermissionSet,
          { permissionSetId: set.id, permissions: ['conversation:message:read', 'identity:user:create'] },
          admin,
        ),
      ),
    ).resolves.toMatchObject({
      code: 'validation_failed',
      details: { permissions: ['identity:user:create'], resourceTypes: ['conversation'] },
    });
  });

  it('deletes a set with every assignment of it, and frees its name', async () => {
    const set = await service.call(
      api.createPermissionSet,
      { name: 'substitute', description: 'Stands in', permissions: ['conversation:message:send'] },
      admin,
    );
    const users = [newPrincipal(tenantId), newPrincipal(tenantId)];
    const assignments = [];
    for (const user of users) {
      assignments.push(
        await service.call(api.createAssignment, { actorId: user.userId, permissionSetId: set.id }, admin),
      );
    }
    expect(await holds(users[0]!, 'conversation:message:send')).toBe(true);
    const deleted = await service.call(api.deletePermissionSet, { permissionSetId: set.id }, admin);
    expect(deleted.permissionSetId).toBe(set.id);
    for (const user of users) {
      expect(await holds(user, 'conversation:message:send')).toBe(false);
    }
    for (const assignment of assignments) {
      await expect(
        publishedEvent(
          service,
          (event) => event.payload['assignmentId'] === assignment.id && event.payload['change'] === 'revoked',
        ),
      ).resolves.toMatchObject({ payload: { actorId: assignment.actorId } });
    }
    await expect(
      publishedEvent(
        service,
        (event) => event.payload['permissionSetId'] === set.id && event.payload['change'] === 'deleted',
      ),
    ).resolves.toBeDefined();
    await expect(
      failureOf(service.call(api.deletePermissionSet, { permissionSetId: set.id }, admin)),
    ).resolves.toMatchObject({ code: 'not_found' });
    await expect(
      failureOf(
        service.call(api.createAssignment, { actorId: randomUUID(), permissionSetId: set.id }, admin),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
    const again = await service.call(
      api.createPermissionSet,
      { name: 'substitute', description: 'Stands in again', permissions: ['conversation:message:read'] },
      admin,
    );
    expect(again.id).not.toBe(set.id);
  });

  it('lists the system sets, then the tenant’s own, with their permissions', async () => {
    const { items } = await service.call(api.listPermissionSets, {}, admin);
    const system = items.filter((item) => item.tenantId === null).map((item) => item.name);
    expect(system).toEqual([
      'conversation-administrator',
      'conversation-guest',
      'conversation-member',
      'conversation-owner',
      'file-owner',
      'platform-operator',
      'platform-service',
      'tenant-administrator',
      'tenant-user',
    ]);
    expect(items.slice(0, system.length).every((item) => item.tenantId === null)).toBe(true);
    const own = items.filter((item) => item.tenantId !== null);
    expect(own.every((item) => item.tenantId === tenantId)).toBe(true);
    expect(own.map((item) => item.name)).toContain('librarian');
    expect(items.find((item) => item.name === 'conversation-guest')?.permissions).toEqual([
      'conversation:message:read',
    ]);
  });
});
