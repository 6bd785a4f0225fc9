import { identityRequests as api, permissionRequests, type TokenPair, type User } from '@parley/contracts';
import {
  eventually,
  failureOf,
  missing,
  startIdentityWithPermissions,
  tenantWithAdministrator,
  type AdministeredTenant,
  type IdentityWithPermissions,
} from './identity.harness.js';

const password = 'a long enough password';

describe('administration in identity through the permission language', () => {
  let identity: IdentityWithPermissions;
  let north: AdministeredTenant;
  let south: AdministeredTenant;
  let pupil: User;
  let southTeacher: User;

  const as = (pair: TokenPair) => ({ token: pair.accessToken });
  const login = (tenant: string, email: string) =>
    identity.rpc.request(api.login, { tenant, email, password });
  const create = (by: TokenPair, email: string, kind: 'person' | 'bot' | 'service' = 'person') =>
    identity.rpc.request(api.createUser, { email, password, fullName: email.split('@')[0]!, kind }, as(by));

  beforeAll(async () => {
    identity = await startIdentityWithPermissions();
    north = await tenantWithAdministrator(identity, 'north-academy');
    south = await tenantWithAdministrator(identity, 'south-academy');
    pupil = await create(north.admin, 'pupil@north.test');
    southTeacher = await create(south.admin, 'teacher@south.test');
  });
  afterAll(() => identity.stop());

  it('lets a tenant administrator create, suspend and reactivate users of its own tenant', async () => {
    expect(pupil).toMatchObject({ tenantId: north.tenant.id, kind: 'person', status: 'active' });
    const suspended = await identity.rpc.request(
      api.suspendUser,
      { userId: pupil.id, reason: 'holiday' },
      as(north.admin),
    );
    expect(suspended.status).toBe('suspended');
    await expect(failureOf(login('north-academy', pupil.email))).resolves.toMatchObject({
      code: 'unauthenticated',
      details: { reason: 'user_suspended' },
    });
    const reactivated = await identity.rpc.request(api.reactivateUser, { userId: pupil.id }, as(north.admin));
    expect(reactivated.status).toBe('active');

    // Its own session and another user's of the tenant: identity:session:revoke comes with the set.
    const session = await login('north-academy', pupil.email);
    await expect(
      identity.rpc.request(api.revokeSession, { sessionId: session.sessionId }, as(north.admin)),
    ).resolves.toMatchObject({ sessionId: session.sessionId });
    await expect(
      failureOf(identity.rpc.request(api.refresh, { refreshToken: session.refreshToken })),
    ).resolves.toMatchObject({ code: 'unauthenticated' });
  });

  it("lets a platform operator make a closed tenant's first user, and nobody else", async () => {
    const closed = await identity.rpc.request(
      api.createTenant,
      { slug: 'closed-college', name: 'Closed College' },
      as(identity.operator),
    );
    const first = await identity.rpc.request(
      api.createUser,
      { email: 'head@closed.test', password, fullName: 'Head', tenantId: closed.id },
      as(identity.operator),
    );
    expect(first).toMatchObject({ tenantId: closed.id, kind: 'person' });
    await expect(login('closed-college', 'head@closed.test')).resolves.toMatchObject({
      user: { id: first.id },
    });
    // A tenant administrator cannot reach another tenant, and learns nothing about it.
    for (const tenantId of [closed.id, '0190a000-0000-7000-8000-00000000dead']) {
      await expect(
        failureOf(
          identity.rpc.request(
            api.createUser,
            { email: 'intruder@north.test', password, fullName: 'Intruder', tenantId },
            as(north.admin),
          ),
        ),
      ).resolves.toMatchObject({ code: 'not_found' });
    }
    // Naming one's own tenant is the same as naming none.
    await expect(
      identity.rpc.request(
        api.createUser,
        { email: 'own@north.test', password, fullName: 'Own', tenantId: north.tenant.id },
        as(north.admin),
      ),
    ).resolves.toMatchObject({ tenantId: north.tenant.id });
  });

  it('gives a tenant administrator nothing in another tenant, nor the platform', async () => {
    // Users of another tenant are not found: lookups are confined to the actor's tenant.
    for (const call of [
      identity.rpc.request(api.suspendUser, { userId: southTeacher.id }, as(north.admin)),
      identity.rpc.request(api.deleteUser, { userId: southTeacher.id }, as(north.admin)),
      identity.rpc.request(api.updateUser, { userId: southTeacher.id, fullName: 'X' }, as(north.admin)),
      identity.rpc.request(api.getUser, { userId: southTeacher.id }, as(north.admin)),
      identity.rpc.request(api.getTenant, { tenantId: south.tenant.id }, as(north.admin)),
    ]) {
      await expect(failureOf(call)).resolves.toMatchObject({ code: 'not_found' });
    }
    await expect(
      identity.rpc.request(api.getTenant, { tenantId: north.tenant.id }, as(north.admin)),
    ).resolves.toMatchObject({ slug: 'north-academy' });
    await expect(
      failureOf(identity.rpc.request(api.createTenant, { slug: 'annex', name: 'Annex' }, as(north.admin))),
    ).resolves.toMatchObject(missing('identity:tenant:create'));
    await expect(
      failureOf(
        identity.rpc.request(
          permissionRequests.bootstrapTenantAdministrator,
          { tenantId: south.tenant.id, userId: north.admin.user.id },
          as(north.admin),
        ),
      ),
    ).resolves.toMatchObject({ code: 'forbidden' });
    // The platform operator's permissions are assigned in the platform tenant: it reads other
    // tenants, but their users are not its to manage through identity.
    await expect(
      identity.rpc.request(api.getTenant, { tenantId: north.tenant.id }, as(identity.operator)),
    ).resolves.toMatchObject({ id: north.tenant.id });
    await expect(
      failureOf(identity.rpc.request(api.suspendUser, { userId: pupil.id }, as(identity.operator))),
    ).resolves.toMatchObject({ code: 'not_found' });
    await expect(
      failureOf(
        identity.rpc.request(
          api.getTenant,
          { tenantId: '0193a5e0-0000-7000-8000-000000000000' },
          as(identity.operator),
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
  });

  it("lets a person change their own profile but not another's", async () => {
    const self = await login('north-academy', pupil.email);
    const other = await create(north.admin, 'classmate@north.test');
    await expect(
      identity.rpc.request(api.updateUser, { userId: self.user.id, designation: 'Class 4b' }, as(self)),
    ).resolves.toMatchObject({ designation: 'Class 4b' });
    await expect(
      failureOf(identity.rpc.request(api.updateUser, { userId: other.id, fullName: 'Renamed' }, as(self))),
    ).resolves.toMatchObject({
      code: 'forbidden',
      details: {
        reason: 'no_assignment',
        missing: ['identity:user:update'],
        resource: { type: 'user', id: other.id },
      },
    });
    // A user that does not exist is not found, whoever asks.
    await expect(
      failureOf(
        identity.rpc.request(
          api.updateUser,
          { userId: '0193a5e0-0000-7000-8000-000000000000', fullName: 'Nobody' },
          as(self),
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
    await expect(
      identity.rpc.request(api.updateUser, { userId: other.id, fullName: 'Renamed' }, as(north.admin)),
    ).resolves.toMatchObject({ fullName: 'Renamed' });
  });

  it('gives a service account without assignments nothing to administer', async () => {
    // Service accounts of a tenant, and further service accounts of the platform tenant (only the
    // first becomes the platform operator), hold nothing until something is assigned to them.
    await create(north.admin, 'robot@north.test', 'service');
    await create(identity.operator, 'second-ops@platform.test', 'service');
    const robot = await login('north-academy', 'robot@north.test');
    const platformAccount = await login('platform', 'second-ops@platform.test');
    const victim = await login('north-academy', pupil.email);
    for (const account of [robot, platformAccount]) {
      await expect(failureOf(create(account, `new-${account.user.id}@x.test`))).resolves.toMatchObject(
        missing('identity:user:create'),
      );
      await expect(
        failureOf(identity.rpc.request(api.createTenant, { slug: 'robots', name: 'R' }, as(account))),
      ).resolves.toMatchObject(missing('identity:tenant:create'));
      await expect(
        failureOf(identity.rpc.request(api.getTenant, { tenantId: south.tenant.id }, as(account))),
      ).resolves.toMatchObject({ code: 'not_found' });
    }
    await expect(
      failureOf(identity.rpc.request(api.suspendUser, { userId: pupil.id }, as(robot))),
    ).resolves.toMatchObject(missing('identity:user:suspend'));
    await expect(
      failureOf(identity.rpc.request(api.updateUser, { userId: pupil.id, fullName: 'Bot' }, as(robot))),
    ).resolves.toMatchObject(missing('identity:user:update'));
    await expect(
      failureOf(identity.rpc.request(api.revokeSession, { sessionId: victim.sessionId }, as(robot))),
    ).resolves.toMatchObject(missing('identity:session:revoke'));
    // What needs no permission still works for it.
    await expect(
      identity.rpc.request(
        api.updateUser,
        { userId: robot.user.id, designation: 'Timetable sync' },
        as(robot),
      ),
    ).resolves.toMatchObject({ designation: 'Timetable sync' });
  });

  it('honours an assignment scoped to one user, and its revocation without a new login', async () => {
    const monitor = await create(north.admin, 'monitor@north.test');
    const target = await create(north.admin, 'target@north.test');
    const bystander = await create(north.admin, 'bystander@north.test');
    const assignment = await identity.rpc.request(
      permissionRequests.createAssignment,
      { actorId: monitor.id, permission: 'identity:user:suspend', resource: { type: 'user', id: target.id } },
      as(north.admin),
    );
    const session = await login('north-academy', monitor.email);
    const suspend = (userId: string) =>
      failureOf(identity.rpc.request(api.suspendUser, { userId }, as(session)));
    await expect(suspend(target.id)).resolves.toBe('resolved');
    await expect(suspend(bystander.id)).resolves.toMatchObject({
      code: 'forbidden',
      details: { missing: ['identity:user:suspend'], resource: { type: 'user', id: bystander.id } },
    });
    await expect(
      failureOf(identity.rpc.request(api.reactivateUser, { userId: target.id }, as(session))),
    ).resolves.toBe('resolved');

    await identity.rpc.request(
      permissionRequests.revokeAssignment,
      { assignmentId: assignment.id },
      as(north.admin),
    );
    // The same access token: the assignment.changed event drops what identity had cached.
    const refused = await eventually(
      () => suspend(target.id),
      (outcome) => outcome !== 'resolved',
    );
    expect(refused).toMatchObject(missing('identity:user:suspend'));
  });
});
