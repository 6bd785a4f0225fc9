import { identityRequests as api, type TokenPair } from '@parley/contracts';
import { auditRequirements, CatalogRegistration } from '@parley/permissions';
import {
  startPermissionUnderTest,
  type PermissionUnderTest,
} from '../../permission/test/permission.harness.js';
import {
  eventually,
  failureOf,
  operatorEmail,
  operatorPassword,
  startIdentityUnderTest,
  type IdentityUnderTest,
} from './identity.harness.js';

describe('identity before and after the permission service is up', () => {
  let identity: IdentityUnderTest;
  let permission: PermissionUnderTest | undefined;
  let operator: TokenPair;

  beforeAll(async () => {
    identity = await startIdentityUnderTest();
    operator = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: operatorEmail,
      password: operatorPassword,
    });
  });
  afterAll(async () => {
    await permission?.stop();
    await identity.stop();
  });

  it('declares a requirement on every handler, within its catalog', () => {
    const report = auditRequirements(identity.app);
    expect(report.undeclared).toEqual([]);
    expect(report.outsideCatalog).toEqual([]);
    const routes = report.handlers.map((handler) => handler.route);
    expect(routes).toEqual(
      expect.arrayContaining([
        api.createTenant.subject,
        api.login.subject,
        'GET /.well-known/jwks.json',
        'GET /v1/users/me',
        'GET /health/ready',
        'GET /metrics',
      ]),
    );
  });

  it('serves public and authenticated-only operations, and answers unavailable for the rest', async () => {
    const token = { token: operator.accessToken };
    await expect(identity.rpc.request(api.getJwks, {})).resolves.toMatchObject({
      keys: [expect.objectContaining({ alg: 'RS256' })],
    });
    await expect(identity.rpc.request(api.listSessions, {}, token)).resolves.toMatchObject({
      items: [expect.objectContaining({ id: operator.sessionId, isCurrent: true })],
    });
    await expect(
      identity.rpc.request(api.getTenant, { tenantId: operator.user.tenantId }, token),
    ).resolves.toMatchObject({ slug: 'platform' });
    const me = await fetch(`${identity.baseUrl}/v1/users/me`, {
      headers: { authorization: `Bearer ${operator.accessToken}` },
    });
    expect(me.status).toBe(200);
    expect((await fetch(`${identity.baseUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${identity.baseUrl}/metrics`)).status).toBe(200);

    await expect(
      failureOf(identity.rpc.request(api.createTenant, { slug: 'early', name: 'Early' }, token)),
    ).resolves.toMatchObject({ code: 'unavailable' });
    await expect(
      failureOf(
        identity.rpc.request(
          api.createUser,
          { email: 'early@platform.test', password: 'a long enough password', fullName: 'Early' },
          token,
        ),
      ),
    ).resolves.toMatchObject({ code: 'unavailable' });
    expect(identity.app.get(CatalogRegistration).isRegistered).toBe(false);
  });

  it('registers its catalog and lets the operator administer once the permission service is up', async () => {
    permission = await startPermissionUnderTest(
      {},
      { namespace: identity.namespace.prefix, serveJwks: false, systemClock: true },
    );
    const registration = identity.app.get(CatalogRegistration);
    await registration.registered;
    expect(registration.isRegistered).toBe(true);
    // The operator's token from before: its assignment arrives from identity's user.created.
    const created = await eventually(
      () =>
        failureOf(
          identity.rpc.request(
            api.createTenant,
            { slug: 'late-school', name: 'Late School' },
            { token: operator.accessToken },
          ),
        ),
      (outcome) => outcome === 'resolved',
      15_000,
    );
    expect(created).toBe('resolved');
  });
});
