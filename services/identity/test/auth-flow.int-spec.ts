import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { identityRequests as api, ParleyError } from '@parley/contracts';
import {
  eventually,
  operatorEmail,
  operatorPassword,
  asError,
  asTokenPair,
  asUser,
  postJson,
  publishedEvents,
  startIdentityWithPermissions,
  type IdentityWithPermissions,
} from './identity.harness.js';

describe('identity over HTTP: register, log in, verify, refresh, reuse', () => {
  let identity: IdentityWithPermissions;

  beforeAll(async () => {
    identity = await startIdentityWithPermissions();
    await identity.rpc.request(
      api.createTenant,
      { slug: 'north-school', name: 'North School', allowsSelfRegistration: true },
      { token: identity.operator.accessToken },
    );
  });
  afterAll(() => identity.stop());

  it('lets a person register, log in and use tokens that verify against the published JWKS', async () => {
    const registered = await postJson(`${identity.baseUrl}/v1/users`, {
      tenant: 'north-school',
      email: 'Ada@Example.org',
      password: 'a long enough password',
      fullName: 'Ada Lovelace',
    });
    expect(registered.status).toBe(201);
    const ada = asUser(registered);
    expect(ada).toMatchObject({ email: 'ada@example.org', kind: 'person', status: 'active' });

    const login = await postJson(`${identity.baseUrl}/v1/sessions`, {
      tenant: 'north-school',
      email: 'ada@example.org',
      password: 'a long enough password',
    });
    expect(login.status).toBe(200);
    const pair = asTokenPair(login);
    expect(pair).toMatchObject({ tokenType: 'Bearer', user: { id: ada.id } });

    // An independent verification: jose fetching the JWKS over HTTP, as any client would.
    const jwks = createRemoteJWKSet(new URL(`${identity.baseUrl}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(pair.accessToken, jwks, {
      issuer: 'parley-identity',
      audience: 'parley',
    });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: ada.id,
      tenant_id: ada.tenantId,
      sid: pair.sessionId,
      user_kind: 'person',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);

    const me = await fetch(`${identity.baseUrl}/v1/users/me`, {
      headers: { authorization: `Bearer ${pair.accessToken}` },
    });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-powered-by')).toBeNull();
    expect(me.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await me.json()).toMatchObject({ id: ada.id, fullName: 'Ada Lovelace' });
  });

  it('rotates refresh tokens and revokes the whole session when an old one is replayed', async () => {
    const login = asTokenPair(
      await postJson(`${identity.baseUrl}/v1/sessions`, {
        tenant: 'north-school',
        email: 'ada@example.org',
        password: 'a long enough password',
      }),
    );
    const first = login.refreshToken;
    const refreshedReply = await postJson(`${identity.baseUrl}/v1/sessions/refresh`, { refreshToken: first });
    expect(refreshedReply.status).toBe(200);
    const refreshed = asTokenPair(refreshedReply);
    expect(refreshed.refreshToken).not.toBe(first);
    expect(refreshed.sessionId).toBe(login.sessionId);

    const replay = await postJson(`${identity.baseUrl}/v1/sessions/refresh`, { refreshToken: first });
    expect(replay.status).toBe(401);
    expect(asError(replay)).toMatchObject({ code: 'unauthenticated', details: { reason: 'reuse_detected' } });

    // The family is gone: the newest refresh token no longer works either.
    const newest = await postJson(`${identity.baseUrl}/v1/sessions/refresh`, {
      refreshToken: refreshed.refreshToken,
    });
    expect(newest.status).toBe(401);
    expect(asError(newest).details).toEqual({ reason: 'invalid_refresh_token' });

    const events = await eventually(
      () => publishedEvents(identity),
      (all) => all.some((event) => event.subject.endsWith('session.revoked')),
    );
    const revoked = events.find((event) => event.subject.endsWith('session.revoked'));
    expect(revoked?.payload).toMatchObject({ sessionId: login.sessionId, reason: 'reuse_detected' });
    expect(revoked?.subject).toBe(`identity.v1.events.${login.user.tenantId}.session.revoked`);
    expect(revoked?.msgId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs out over HTTP and lists only live sessions', async () => {
    const login = asTokenPair(
      await postJson(`${identity.baseUrl}/v1/sessions`, {
        tenant: 'north-school',
        email: 'ada@example.org',
        password: 'a long enough password',
      }),
    );
    const token = login.accessToken;
    const list = await fetch(`${identity.baseUrl}/v1/sessions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const sessions = (await list.json()) as { items: Array<{ id: string; isCurrent: boolean }> };
    expect(sessions.items.find((session) => session.isCurrent)?.id).toBe(login.sessionId);

    const logout = await postJson(`${identity.baseUrl}/v1/sessions/logout`, {}, token);
    expect(logout.status).toBe(200);
    expect(logout.body).toMatchObject({ sessionId: login.sessionId });
    const after = await postJson(`${identity.baseUrl}/v1/sessions/refresh`, {
      refreshToken: login.refreshToken,
    });
    expect(after.status).toBe(401);
  });

  it('answers bad input with typed errors and no crash', async () => {
    const malformed = await postJson(`${identity.baseUrl}/v1/users`, {
      tenant: 'north-school',
      email: 'not-an-email',
      password: 'short',
      fullName: 'x'.repeat(500),
    });
    expect(malformed.status).toBe(400);
    const error = asError(malformed);
    expect(error.code).toBe('validation_failed');
    const paths = (error.details?.['issues'] as Array<{ path: string }>).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['email', 'password', 'fullName']));

    const wrongTypes = await postJson(`${identity.baseUrl}/v1/sessions`, {
      tenant: 42,
      email: [],
      password: {},
    });
    expect(wrongTypes.status).toBe(400);

    const notJson = await postJson(`${identity.baseUrl}/v1/sessions`, '{"tenant":');
    expect(notJson.status).toBe(400);

    const unknownTenant = await postJson(`${identity.baseUrl}/v1/users`, {
      tenant: 'nowhere',
      email: 'a@b.org',
      password: 'a long enough password',
      fullName: 'A',
    });
    expect(unknownTenant.status).toBe(404);

    const noToken = await fetch(`${identity.baseUrl}/v1/users/me`);
    expect(noToken.status).toBe(401);
    const badToken = await fetch(`${identity.baseUrl}/v1/users/me`, {
      headers: { authorization: 'Bearer abc.def.ghi' },
    });
    expect(badToken.status).toBe(401);

    // The service is still up.
    const ready = await fetch(`${identity.baseUrl}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('serves the JWKS over NATS too, with the key that signed the tokens', async () => {
    const login = await identity.rpc.request(api.login, {
      tenant: 'platform',
      email: operatorEmail,
      password: operatorPassword,
    });
    const jwks = await identity.rpc.request(api.getJwks, {});
    expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(login.accessToken).kid);
    await expect(
      identity.rpc.request(api.login, {
        tenant: 'platform',
        email: operatorEmail,
        password: 'wrong password',
      }),
    ).rejects.toEqual(expect.objectContaining({ code: 'unauthenticated' }) as ParleyError);
  });
});
