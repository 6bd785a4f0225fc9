import { identityRequests as api, type TokenPair } from '@parley/contracts';
import {
  eventually,
  failureOf as codeOf,
  missing,
  publishedEvents,
  startIdentityWithPermissions,
  type IdentityWithPermissions,
} from './identity.harness.js';

const password = 'a long enough password';

describe('identity over NATS', () => {
  let identity: IdentityWithPermissions;
  let operator: TokenPair;
  let platformAccount: TokenPair;
  let tenantId: string;

  beforeAll(async () => {
    identity = await startIdentityWithPermissions({
      IDENTITY_LOGIN_MAX_FAILURES: '3',
      IDENTITY_LOGIN_LOCK: '2s',
    });
    operator = identity.operator;
    const tenant = await identity.rpc.request(
      api.createTenant,
      { slug: 'south-school', name: 'South School' },
      { token: operator.accessToken },
    );
    tenantId = tenant.id;
    // A tenant without self-registration gets its people from its administrators only.
    await expect(
      codeOf(
        identity.rpc.request(api.registerUser, {
          tenant: 'south-school',
          email: 'x@y.org',
          password,
          fullName: 'X',
        }),
      ),
    ).resolves.toMatchObject({ code: 'forbidden' });
  });
  afterAll(() => identity.stop());

  async function createInSchool(email: string, kind: 'person' | 'bot' | 'service', token: string) {
    return identity.rpc.request(
      api.createUser,
      { email, password, fullName: email.split('@')[0]!, kind },
      { token },
    );
  }

  it('lets only a platform operator create tenants, and nests them under a parent', async () => {
    const child = await identity.rpc.request(
      api.createTenant,
      { slug: 'south-school-annex', name: 'Annex', parentTenantId: tenantId },
      { token: operator.accessToken },
    );
    expect(child).toMatchObject({
      parentTenantId: tenantId,
      status: 'active',
      allowsSelfRegistration: false,
    });
    await expect(
      codeOf(
        identity.rpc.request(
          api.createTenant,
          { slug: 'south-school', name: 'Again' },
          { token: operator.accessToken },
        ),
      ),
    ).resolves.toMatchObject({ code: 'conflict' });
    await expect(
      codeOf(
        identity.rpc.request(
          api.createTenant,
          { slug: 'orphan', name: 'Orphan', parentTenantId: '0193a5e0-0000-7000-8000-000000000000' },
          { token: operator.accessToken },
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
    await expect(
      codeOf(identity.rpc.request(api.createTenant, { slug: 'x-school', name: 'X' })),
    ).resolves.toMatchObject({
      code: 'unauthenticated',
    });
    const got = await identity.rpc.request(api.getTenant, { tenantId }, { token: operator.accessToken });
    expect(got.slug).toBe('south-school');
  });

  it('lets the platform operator register people, bots and service accounts in the platform tenant', async () => {
    const account = await createInSchool('ops@platform.test', 'service', operator.accessToken);
    expect(account).toMatchObject({ kind: 'service', tenantId: operator.user.tenantId });

    const teacher = await createInSchool('teacher@platform.test', 'person', operator.accessToken);
    const teacherLogin = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: teacher.email,
      password,
    });
    // A person holds no identity permission: refused, naming what is missing.
    await expect(
      codeOf(createInSchool('pupil@platform.test', 'person', teacherLogin.accessToken)),
    ).resolves.toMatchObject(missing('identity:user:create'));
    await expect(
      codeOf(
        identity.rpc.request(
          api.createTenant,
          { slug: 'teachers-own', name: 'Own' },
          { token: teacherLogin.accessToken },
        ),
      ),
    ).resolves.toMatchObject(missing('identity:tenant:create'));

    const bot = await createInSchool('helper-bot@platform.test', 'bot', operator.accessToken);
    expect(bot.kind).toBe('bot');
    await expect(
      codeOf(createInSchool('teacher@platform.test', 'person', operator.accessToken)),
    ).resolves.toMatchObject({
      code: 'conflict',
    });
    platformAccount = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: 'ops@platform.test',
      password,
    });
    expect(platformAccount.user.kind).toBe('service');
  });

  it('looks users up, searches by prefix with a cursor, and never across tenants', async () => {
    for (const name of ['Anna Adams', 'Anton Berg', 'Boris Chen']) {
      await identity.rpc.request(
        api.createUser,
        { email: `${name.split(' ')[0]!.toLowerCase()}@platform.test`, password, fullName: name },
        { token: operator.accessToken },
      );
    }
    const token = operator.accessToken;
    const first = await identity.rpc.request(api.searchUsers, { query: 'an', limit: 1 }, { token });
    expect(first.items.map((user) => user.fullName)).toEqual(['Anna Adams']);
    expect(first.nextCursor).not.toBeNull();
    const second = await identity.rpc.request(
      api.searchUsers,
      { query: 'an', limit: 1, cursor: first.nextCursor! },
      { token },
    );
    expect(second.items.map((user) => user.fullName)).toEqual(['Anton Berg']);
    expect(second.nextCursor).toBeNull();
    const byEmail = await identity.rpc.request(api.searchUsers, { query: 'boris@' }, { token });
    expect(byEmail.items.map((user) => user.fullName)).toEqual(['Boris Chen']);
    const wildcard = await identity.rpc.request(api.searchUsers, { query: '%' }, { token });
    expect(wildcard.items).toEqual([]);
    await expect(
      codeOf(identity.rpc.request(api.searchUsers, { cursor: 'garbage' }, { token })),
    ).resolves.toMatchObject({
      code: 'validation_failed',
    });

    const anna = byEmail.items[0]!;
    await expect(identity.rpc.request(api.getUser, { userId: anna.id }, { token })).resolves.toMatchObject({
      id: anna.id,
    });
    const many = await identity.rpc.request(
      api.getUsers,
      { userIds: [anna.id, '0193a5e0-0000-7000-8000-000000000000'] },
      { token },
    );
    expect(many.items.map((user) => user.id)).toEqual([anna.id]);

    // A user of another tenant is invisible, exactly like one that does not exist.
    const selfRegistered = await identity.rpc.request(
      api.createTenant,
      { slug: 'open-community', name: 'Open', allowsSelfRegistration: true },
      { token },
    );
    const outsider = await identity.rpc.request(api.registerUser, {
      tenant: 'open-community',
      email: 'out@side.org',
      password,
      fullName: 'Outsider',
    });
    expect(outsider.tenantId).toBe(selfRegistered.id);
    const outsiderLogin = await identity.rpc.request(api.login, {
      tenant: 'open-community',
      email: 'out@side.org',
      password,
    });
    await expect(
      codeOf(identity.rpc.request(api.getUser, { userId: anna.id }, { token: outsiderLogin.accessToken })),
    ).resolves.toMatchObject({ code: 'not_found' });
    await expect(
      codeOf(identity.rpc.request(api.getTenant, { tenantId }, { token: outsiderLogin.accessToken })),
    ).resolves.toMatchObject({ code: 'not_found' });
    const search = await identity.rpc.request(api.searchUsers, {}, { token: outsiderLogin.accessToken });
    expect(search.items.map((user) => user.email)).toEqual(['out@side.org']);
  });

  it('updates profiles (own, or any for an administrator) and publishes user.updated', async () => {
    const login = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: 'anna@platform.test',
      password,
    });
    const token = login.accessToken;
    const updated = await identity.rpc.request(
      api.updateUser,
      { userId: login.user.id, designation: 'Teacher' },
      { token },
    );
    expect(updated.designation).toBe('Teacher');
    const unchanged = await identity.rpc.request(
      api.updateUser,
      { userId: login.user.id, designation: 'Teacher' },
      { token },
    );
    expect(unchanged.updatedAt).toBe(updated.updatedAt);
    await expect(
      codeOf(
        identity.rpc.request(api.updateUser, { userId: operator.user.id, fullName: 'Hacker' }, { token }),
      ),
    ).resolves.toMatchObject(missing('identity:user:update'));
    const byAdmin = await identity.rpc.request(
      api.updateUser,
      { userId: login.user.id, fullName: 'Anna A. Adams', designation: null },
      { token: operator.accessToken },
    );
    expect(byAdmin).toMatchObject({ fullName: 'Anna A. Adams', designation: null });
    await expect(
      codeOf(identity.rpc.request(api.updateUser, { userId: login.user.id }, { token })),
    ).resolves.toMatchObject({
      code: 'validation_failed',
    });
    const events = await eventually(
      () => publishedEvents(identity),
      (all) => all.filter((event) => event.subject.endsWith('user.updated')).length >= 2,
    );
    const changes = events
      .filter((event) => event.subject.endsWith('user.updated'))
      .map((event) => event.payload['changedFields']);
    expect(changes).toEqual(expect.arrayContaining([['designation'], ['fullName', 'designation']]));
  });

  it('suspends a user: their sessions are revoked, login and refresh refused, then reactivates', async () => {
    const login = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: 'anton@platform.test',
      password,
    });
    const token = operator.accessToken;
    await expect(
      codeOf(identity.rpc.request(api.suspendUser, { userId: operator.user.id }, { token })),
    ).resolves.toMatchObject({ code: 'conflict' });
    await expect(
      codeOf(
        identity.rpc.request(api.suspendUser, { userId: operator.user.id }, { token: login.accessToken }),
      ),
    ).resolves.toMatchObject(missing('identity:user:suspend'));
    await expect(
      codeOf(
        identity.rpc.request(api.reactivateUser, { userId: login.user.id }, { token: login.accessToken }),
      ),
    ).resolves.toMatchObject(missing('identity:user:suspend'));
    const suspended = await identity.rpc.request(
      api.suspendUser,
      { userId: login.user.id, reason: 'abuse' },
      { token },
    );
    expect(suspended.status).toBe('suspended');
    await expect(
      identity.rpc.request(api.suspendUser, { userId: login.user.id }, { token }),
    ).resolves.toMatchObject({
      status: 'suspended',
    });
    await expect(
      codeOf(identity.rpc.request(api.refresh, { refreshToken: login.refreshToken })),
    ).resolves.toMatchObject({ code: 'unauthenticated' });
    await expect(
      codeOf(identity.rpc.request(api.login, { tenant: 'platform', email: 'anton@platform.test', password })),
    ).resolves.toMatchObject({ code: 'unauthenticated', details: { reason: 'user_suspended' } });

    const events = await eventually(
      () => publishedEvents(identity),
      (all) => all.some((event) => event.subject.endsWith('user.suspended')),
    );
    expect(events.find((event) => event.subject.endsWith('user.suspended'))?.payload).toMatchObject({
      reason: 'abuse',
    });
    expect(
      events.some(
        (event) =>
          event.subject.endsWith('session.revoked') && event.payload['sessionId'] === login.sessionId,
      ),
    ).toBe(true);

    const reactivated = await identity.rpc.request(api.reactivateUser, { userId: login.user.id }, { token });
    expect(reactivated.status).toBe('active');
    await expect(
      identity.rpc.request(api.reactivateUser, { userId: login.user.id }, { token }),
    ).resolves.toMatchObject({
      status: 'active',
    });
    await expect(
      identity.rpc.request(api.login, { tenant: 'platform', email: 'anton@platform.test', password }),
    ).resolves.toMatchObject({
      user: { id: login.user.id },
    });
    await expect(
      codeOf(
        identity.rpc.request(api.suspendUser, { userId: '0193a5e0-0000-7000-8000-000000000000' }, { token }),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
  });

  it("lists and revokes sessions: one's own, or any with identity:session:revoke", async () => {
    const a = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: 'boris@platform.test',
      password,
    });
    const b = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: 'boris@platform.test',
      password,
    });
    const listed = await identity.rpc.request(api.listSessions, {}, { token: a.accessToken });
    expect(listed.items.map((session) => session.id)).toEqual(
      expect.arrayContaining([a.sessionId, b.sessionId]),
    );
    await identity.rpc.request(api.revokeSession, { sessionId: b.sessionId }, { token: a.accessToken });
    const again = await identity.rpc.request(
      api.revokeSession,
      { sessionId: b.sessionId },
      { token: a.accessToken },
    );
    expect(again.sessionId).toBe(b.sessionId);
    const live = await identity.rpc.request(api.listSessions, {}, { token: a.accessToken });
    expect(live.items.map((session) => session.id)).not.toContain(b.sessionId);
    const all = await identity.rpc.request(
      api.listSessions,
      { includeRevoked: true },
      { token: a.accessToken },
    );
    expect(all.items.find((session) => session.id === b.sessionId)?.revocationReason).toBe('revoked');

    await expect(
      codeOf(
        identity.rpc.request(api.revokeSession, { sessionId: operator.sessionId }, { token: a.accessToken }),
      ),
    ).resolves.toMatchObject(missing('identity:session:revoke'));
    await expect(
      codeOf(
        identity.rpc.request(
          api.revokeSession,
          { sessionId: '0193a5e0-0000-7000-8000-000000000000' },
          { token: a.accessToken },
        ),
      ),
    ).resolves.toMatchObject({ code: 'not_found' });
    await identity.rpc.request(
      api.revokeSession,
      { sessionId: a.sessionId },
      { token: operator.accessToken },
    );
    await expect(
      codeOf(identity.rpc.request(api.refresh, { refreshToken: a.refreshToken })),
    ).resolves.toMatchObject({
      code: 'unauthenticated',
    });
    const logout = await identity.rpc.request(api.logout, {}, { token: platformAccount.accessToken });
    expect(logout.sessionId).toBe(platformAccount.sessionId);
  });

  it('throttles repeated failures identically for known and unknown emails', async () => {
    const attempt = (email: string, pass: string) =>
      codeOf(identity.rpc.request(api.login, { tenant: 'platform', email, password: pass }));
    const known = 'boris@platform.test';
    const unknown = 'nobody@platform.test';
    for (let i = 0; i < 3; i += 1) {
      await expect(attempt(known, 'wrong password')).resolves.toMatchObject({
        code: 'unauthenticated',
        details: { reason: 'invalid_credentials' },
      });
      await expect(attempt(unknown, 'wrong password')).resolves.toMatchObject({
        code: 'unauthenticated',
        details: { reason: 'invalid_credentials' },
      });
    }
    // Locked now: even the right password is refused until the lock ends, for both.
    await expect(attempt(known, password)).resolves.toMatchObject({ code: 'rate_limited' });
    await expect(attempt(unknown, password)).resolves.toMatchObject({ code: 'rate_limited' });
    identity.advance(3_000);
    await expect(
      identity.rpc.request(api.login, { tenant: 'platform', email: known, password }),
    ).resolves.toMatchObject({
      user: { email: known },
    });
    await expect(attempt(known, 'wrong password')).resolves.toMatchObject({ code: 'unauthenticated' });
    // Unknown tenants answer like wrong passwords.
    await expect(
      codeOf(identity.rpc.request(api.login, { tenant: 'no-such-school', email: known, password })),
    ).resolves.toMatchObject({ code: 'unauthenticated', details: { reason: 'invalid_credentials' } });
  });

  it('deletes a user: sessions end, lookups miss, the email can be registered again', async () => {
    const token = operator.accessToken;
    const doomed = await identity.rpc.request(
      api.createUser,
      { email: 'leaver@platform.test', password, fullName: 'Leaver' },
      { token },
    );
    const login = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: doomed.email,
      password,
    });
    await expect(
      codeOf(identity.rpc.request(api.deleteUser, { userId: doomed.id }, { token: login.accessToken })),
    ).resolves.toMatchObject(missing('identity:user:delete'));
    await expect(
      codeOf(identity.rpc.request(api.deleteUser, { userId: operator.user.id }, { token })),
    ).resolves.toMatchObject({ code: 'conflict' });
    const deleted = await identity.rpc.request(api.deleteUser, { userId: doomed.id }, { token });
    expect(deleted.status).toBe('deleted');
    await expect(
      codeOf(identity.rpc.request(api.getUser, { userId: doomed.id }, { token })),
    ).resolves.toMatchObject({
      code: 'not_found',
    });
    await expect(
      codeOf(identity.rpc.request(api.refresh, { refreshToken: login.refreshToken })),
    ).resolves.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      codeOf(identity.rpc.request(api.login, { tenant: 'platform', email: doomed.email, password })),
    ).resolves.toMatchObject({ code: 'unauthenticated', details: { reason: 'invalid_credentials' } });
    const again = await identity.rpc.request(
      api.createUser,
      { email: 'leaver@platform.test', password, fullName: 'Returner' },
      { token },
    );
    expect(again.id).not.toBe(doomed.id);
  });

  it('refuses malformed requests with validation errors naming the fields', async () => {
    await expect(
      codeOf(identity.rpc.request(api.login, { tenant: 'Bad Slug!', email: 'nope', password: '' })),
    ).resolves.toMatchObject({ code: 'validation_failed' });
    // Bypassing the client's own check: the service validates too.
    const reply = await identity.nats.request(
      identity.namespace.subject(api.login.subject),
      JSON.stringify({ tenant: 'platform', email: 'x'.repeat(300), password: 1 }),
    );
    const body = reply.json<{
      ok: boolean;
      error: { code: string; details: { issues: Array<{ path: string }> } };
    }>();
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.details.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['email', 'password']),
    );
    const garbage = await identity.nats.request(identity.namespace.subject(api.login.subject), 'not json');
    expect(garbage.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
  });

  it('publishes tenant.created and user.created through the outbox with unique message ids', async () => {
    const events = await eventually(
      () => publishedEvents(identity),
      (all) => all.filter((event) => event.subject.endsWith('user.created')).length >= 8,
    );
    expect(events.some((event) => event.subject === `identity.v1.events.${tenantId}.tenant.created`)).toBe(
      true,
    );
    const ids = events.map((event) => event.msgId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
