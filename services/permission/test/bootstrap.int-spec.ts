import { randomUUID } from 'node:crypto';
import { identityEvents, permissionRequests as api, type Principal, type Tenant } from '@parley/contracts';
import { withClient } from '@parley/testing';
import { systemPermissionSets } from '../src/system-permission-sets.js';
import { identityEventsDurables } from '../src/tenants/identity-events.consumer.js';
import {
  eventually,
  failureOf,
  handled,
  publishedEvent,
  publishTenantCreated,
  publishUserCreated,
  startPermissionUnderTest,
  type PermissionUnderTest,
} from './permission.harness.js';
import { newPrincipal } from './tokens.js';

function tenantNamed(id: string, slug: string): Tenant {
  return {
    id,
    parentTenantId: null,
    slug,
    name: slug,
    status: 'active',
    allowsSelfRegistration: false,
    createdAt: new Date().toISOString(),
  };
}

describe('bootstrap from identity events', () => {
  let service: PermissionUnderTest;

  beforeAll(async () => {
    service = await startPermissionUnderTest();
  });
  afterAll(() => service.stop());

  async function holds(who: Principal, permission: string): Promise<boolean> {
    return (await service.call(api.check, { actorId: who.userId, permission }, who)).allowed;
  }

  async function rows(sql: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
    return withClient(
      service.database.url,
      async (client) => (await client.query<Record<string, unknown>>(sql, values)).rows,
    );
  }

  let platformTenantId: string;
  let operator: Principal;

  it('records tenants and makes the first service account of the platform tenant its operator', async () => {
    platformTenantId = randomUUID();
    // The account's event overtakes its tenant's (as after a redelivery): it is retried until the
    // tenant is known.
    operator = await publishUserCreated(service, platformTenantId, 'service');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await holds(operator, 'identity:tenant:create')).toBe(false);
    await service.identity.publishEvent(
      identityEvents.tenantCreated,
      platformTenantId,
      { tenant: tenantNamed(platformTenantId, 'platform') },
      randomUUID(),
    );
    // People and accounts of other tenants never become operators.
    const person = await publishUserCreated(service, platformTenantId, 'person');
    const school = await publishTenantCreated(service, 'north-school', platformTenantId);
    const schoolServiceMsg = randomUUID();
    const schoolService = await publishUserCreated(service, school.id, 'service', schoolServiceMsg);

    await eventually(
      () => holds(operator, 'permission:tenant-administrator:bootstrap'),
      (allowed) => allowed,
    );
    expect(await holds(operator, 'identity:tenant:create')).toBe(true);
    expect(await holds(person, 'identity:tenant:create')).toBe(false);
    await handled(service, identityEventsDurables.userCreated, schoolServiceMsg);
    expect(await holds(schoolService, 'identity:tenant:create')).toBe(false);
    expect(
      await rows('SELECT tenant_id, parent_tenant_id, slug FROM permission.tenants ORDER BY slug'),
    ).toEqual([
      { tenant_id: school.id, parent_tenant_id: platformTenantId, slug: 'north-school' },
      { tenant_id: platformTenantId, parent_tenant_id: null, slug: 'platform' },
    ]);
    const created = await publishedEvent(
      service,
      (event) => event.subject.endsWith('assignment.changed') && event.payload['actorId'] === operator.userId,
    );
    expect(created).toMatchObject({
      subject: `permission.v1.events.${platformTenantId}.assignment.changed`,
      payload: { change: 'created' },
    });
  });

  it('makes only one operator', async () => {
    const msgId = randomUUID();
    const second = await publishUserCreated(service, platformTenantId, 'service', msgId);
    await handled(service, identityEventsDurables.userCreated, msgId);
    expect(await holds(second, 'identity:tenant:create')).toBe(false);
    const operators = await rows(
      'SELECT actor_id FROM permission.assignments WHERE permission_set_id = $1 AND revoked_at IS NULL',
      [systemPermissionSets.platformOperator.id],
    );
    expect(operators).toEqual([{ actor_id: operator.userId }]);
  });

  it('handles a message once: a message id already claimed is skipped', async () => {
    // JetStream drops a repeated id within its duplicate window; past it, the claim in PostgreSQL
    // is what keeps a message from being handled twice. Claim one in advance to see it skipped.
    const msgId = randomUUID();
    await rows('INSERT INTO permission.processed_messages (consumer, message_id) VALUES ($1, $2)', [
      identityEventsDurables.tenantCreated,
      msgId,
    ]);
    const skipped = randomUUID();
    await service.identity.publishEvent(
      identityEvents.tenantCreated,
      skipped,
      { tenant: tenantNamed(skipped, 'skipped-school') },
      msgId,
    );
    const marker = await publishTenantCreated(service, 'after-skipped');
    await eventually(
      () => rows('SELECT 1 FROM permission.tenants WHERE tenant_id = $1', [marker.id]),
      (found) => found.length === 1,
    );
    expect(await rows('SELECT 1 FROM permission.tenants WHERE tenant_id = $1', [skipped])).toEqual([]);
  });

  it('lets the operator make the first administrator of a tenant, once', async () => {
    const school = await publishTenantCreated(service, 'south-school');
    const admin = newPrincipal(school.id);
    const assignment = await service.call(
      api.bootstrapTenantAdministrator,
      { tenantId: school.id, userId: admin.userId },
      operator,
    );
    expect(assignment).toMatchObject({
      tenantId: school.id,
      actorId: admin.userId,
      permission: null,
      permissionSetId: systemPermissionSets.tenantAdministrator.id,
      resource: null,
      createdById: operator.userId,
    });
    expect(await holds(admin, 'permission:assignment:create')).toBe(true);
    expect(await holds(admin, 'identity:user:create')).toBe(true);
    expect(await holds(admin, 'identity:tenant:create')).toBe(false);
    expect(await holds(admin, 'permission:tenant-administrator:bootstrap')).toBe(false);

    await expect(
      failureOf(
        service.call(
          api.bootstrapTenantAdministrator,
          { tenantId: school.id, userId: randomUUID() },
          operator,
        ),
      ),
    ).resolves.toMatchObject({ code: 'conflict' });
    // A tenant administrator is no platform operator.
    await expect(
      failureOf(
        service.call(
          api.bootstrapTenantAdministrator,
          { tenantId: randomUUID(), userId: randomUUID() },
          admin,
        ),
      ),
    ).resolves.toMatchObject({
      code: 'forbidden',
      details: { permission: 'permission:tenant-administrator:bootstrap' },
    });
  });

  it('never lets a tenant administrator reach beyond its tenant', async () => {
    const school = await publishTenantCreated(service, 'east-school');
    const admin = newPrincipal(school.id);
    await service.call(
      api.bootstrapTenantAdministrator,
      { tenantId: school.id, userId: admin.userId },
      operator,
    );
    // Not the operator's set, not the platform-only permissions, not even in a set of its own.
    for (const attempt of [
      { actorId: admin.userId, permissionSetId: systemPermissionSets.platformOperator.id },
      { actorId: admin.userId, permission: 'permission:tenant-administrator:bootstrap' },
      { actorId: admin.userId, permission: 'identity:tenant:create' },
    ]) {
      await expect(failureOf(service.call(api.createAssignment, attempt, admin))).resolves.toMatchObject({
        code: 'forbidden',
      });
    }
    await expect(
      failureOf(
        service.call(
          api.createPermissionSet,
          { name: 'sneaky', description: 'x', permissions: ['identity:tenant:create'] },
          admin,
        ),
      ),
    ).resolves.toMatchObject({ code: 'forbidden', details: { permissions: ['identity:tenant:create'] } });
    // Even holding the permission (written past the service, into the table), the bootstrap works
    // only from the platform tenant.
    await rows(
      `INSERT INTO permission.assignments (tenant_id, actor_id, permission_id)
       VALUES ($1, $2, 'permission:tenant-administrator:bootstrap')`,
      [school.id, admin.userId],
    );
    expect(await holds(admin, 'permission:tenant-administrator:bootstrap')).toBe(true);
    const failure = await failureOf(
      service.call(api.bootstrapTenantAdministrator, { tenantId: randomUUID(), userId: randomUUID() }, admin),
    );
    expect(failure).toEqual({ code: 'forbidden', details: undefined });
  });
});
