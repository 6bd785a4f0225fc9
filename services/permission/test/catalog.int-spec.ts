import { randomUUID } from 'node:crypto';
import {
  identityCatalog,
  permissionCatalog,
  permissionRequests as api,
  type Principal,
} from '@parley/contracts';
import { platformWideTenantId } from '../src/system-permission-sets.js';
import {
  bootstrapWorld,
  eventually,
  failureOf,
  startPermissionUnderTest,
  streamEvents,
  type PermissionUnderTest,
} from './permission.harness.js';

describe('the catalog', () => {
  let service: PermissionUnderTest;
  let admin: Principal;

  beforeAll(async () => {
    service = await startPermissionUnderTest();
    ({ admin } = await bootstrapWorld(service));
  });
  afterAll(() => service.stop());

  const catalogEvents = async () =>
    (await streamEvents(service)).filter((event) => event.subject.endsWith('.catalog.changed'));

  it('holds the declarations of identity and of the permission service from the start', async () => {
    const catalog = await service.call(api.listCatalog, {}, admin);
    for (const declaration of [identityCatalog, permissionCatalog]) {
      expect(catalog.domains).toEqual(
        expect.arrayContaining(declaration.domains.map((entry) => ({ ...entry }))),
      );
      for (const entry of declaration.permissions) {
        expect(catalog.permissions).toContainEqual({
          ...entry,
          resourceTypes: [...entry.resourceTypes],
          domain: declaration.domains[0].domain,
          service: declaration.service,
        });
      }
    }
    // Registering what is there changes nothing and announces nothing.
    const registration = {
      service: identityCatalog.service,
      domains: identityCatalog.domains.map((entry) => ({ ...entry })),
      permissions: identityCatalog.permissions.map((entry) => ({
        ...entry,
        resourceTypes: [...entry.resourceTypes],
      })),
    };
    await expect(service.call(api.registerCatalog, registration)).resolves.toEqual({
      added: [],
      unchanged: identityCatalog.permissions.length,
    });
    expect(await catalogEvents()).toEqual([]);
  });

  it('registers new permissions idempotently and announces changes', async () => {
    const declaration = {
      service: 'notification' as const,
      domains: [{ domain: 'notification', description: 'Notifications' }],
      permissions: [
        {
          permission: 'notification:sample:read',
          description: 'Read samples',
          resourceTypes: ['notification' as const],
        },
        {
          permission: 'notification:sample:delete',
          description: 'Delete samples',
          resourceTypes: ['notification' as const, 'notification' as const],
        },
      ],
    };
    await expect(service.call(api.registerCatalog, declaration)).resolves.toEqual({
      added: ['notification:sample:read', 'notification:sample:delete'],
      unchanged: 0,
    });
    await expect(service.call(api.registerCatalog, declaration)).resolves.toEqual({
      added: [],
      unchanged: 2,
    });
    const reworded = {
      ...declaration,
      permissions: [{ ...declaration.permissions[0]!, description: 'Read and keep samples' }],
    };
    await expect(service.call(api.registerCatalog, reworded)).resolves.toEqual({ added: [], unchanged: 0 });
    const events = await eventually(catalogEvents, (all) => all.length >= 2);
    expect(events.map((event) => [event.subject, event.payload])).toEqual([
      [
        `permission.v1.events.${platformWideTenantId}.catalog.changed`,
        { service: 'notification', added: ['notification:sample:read', 'notification:sample:delete'] },
      ],
      [
        `permission.v1.events.${platformWideTenantId}.catalog.changed`,
        { service: 'notification', added: [] },
      ],
    ]);
    const catalog = await service.call(api.listCatalog, {}, admin);
    expect(catalog.permissions).toContainEqual({
      permission: 'notification:sample:read',
      description: 'Read and keep samples',
      resourceTypes: ['notification'],
      domain: 'notification',
      service: 'notification',
    });
    expect(
      catalog.permissions.find((entry) => entry.permission === 'notification:sample:delete')?.resourceTypes,
    ).toEqual(['notification']);
    // A registered permission can be assigned at once.
    const assignment = await service.call(
      api.createAssignment,
      {
        actorId: randomUUID(),
        permission: 'notification:sample:read',
        resource: { type: 'notification', id: randomUUID() },
      },
      admin,
    );
    expect(assignment.permission).toBe('notification:sample:read');
  });

  it('keeps a domain with the service that declared it', async () => {
    await expect(
      failureOf(
        service.call(api.registerCatalog, {
          service: 'notification',
          domains: [{ domain: 'identity', description: 'Mine now' }],
          permissions: [{ permission: 'identity:tenant:delete', description: 'x', resourceTypes: [] }],
        }),
      ),
    ).resolves.toMatchObject({
      code: 'conflict',
      details: { domains: [{ domain: 'identity', service: 'identity' }] },
    });
  });

  it('refuses declarations that do not hang together', async () => {
    await expect(
      failureOf(
        service.call(api.registerCatalog, {
          service: 'notification',
          domains: [{ domain: 'notification', description: 'Notifications' }],
          permissions: [{ permission: 'conversation:message:pin', description: 'x', resourceTypes: [] }],
        }),
      ),
    ).resolves.toMatchObject({
      code: 'validation_failed',
      details: { field: 'permissions', permissions: ['conversation:message:pin'] },
    });
    const twice = { permission: 'notification:preference:update', description: 'x', resourceTypes: [] };
    await expect(
      failureOf(
        service.call(api.registerCatalog, {
          service: 'notification',
          domains: [{ domain: 'notification', description: 'Notifications' }],
          permissions: [twice, twice],
        }),
      ),
    ).resolves.toMatchObject({
      code: 'validation_failed',
      details: { permissions: ['notification:preference:update'] },
    });
    await expect(
      failureOf(
        service.send(api.registerCatalog, {
          service: 'mailer',
          domains: [{ domain: 'mail', description: 'x' }],
          permissions: [{ permission: 'mail:message:send', description: 'x' }],
        }),
      ),
    ).resolves.toMatchObject({
      code: 'validation_failed',
      details: { issues: [expect.objectContaining({ path: 'service' })] },
    });
  });
});
