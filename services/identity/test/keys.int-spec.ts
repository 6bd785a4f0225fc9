import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { identityRequests as api, permissionRequests } from '@parley/contracts';
import { SigningKeysService } from '../src/keys/signing-keys.service.js';
import {
  operatorEmail,
  operatorPassword,
  startIdentityWithPermissions,
  type IdentityWithPermissions,
} from './identity.harness.js';

const minute = 60_000;

describe('signing key rotation', () => {
  let identity: IdentityWithPermissions;
  let keys: SigningKeysService;

  beforeAll(async () => {
    identity = await startIdentityWithPermissions(
      {
        IDENTITY_KEY_LIFETIME: '1h',
        IDENTITY_KEY_PUBLISH_LEAD: '10m',
        IDENTITY_ACCESS_TOKEN_TTL: '5m',
        // The default (RS256) is covered by the other suites; rotation runs with Ed25519 keys.
        IDENTITY_SIGNING_ALGORITHM: 'EdDSA',
      },
      // The other suites hand the key set over NATS; here the permission service fetches it over HTTP.
      { jwks: 'http' },
    );
    keys = identity.app.get(SigningKeysService);
  });
  afterAll(() => identity.stop());

  const login = () =>
    identity.rpc.request(api.login, { tenant: 'platform', email: operatorEmail, password: operatorPassword });
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;
  const published = async () => (await keys.jwks()).keys.map((key) => key.kid);

  it("lets the permission service verify identity's tokens with the key set it serves over HTTP", async () => {
    expect(identity.permission.config.PERMISSION_JWKS_URL).toBe(`${identity.baseUrl}/.well-known/jwks.json`);
    const pair = await login();
    expect(decodeProtectedHeader(pair.accessToken).alg).toBe('EdDSA');
    await expect(
      identity.rpc.request(
        permissionRequests.check,
        { actorId: pair.user.id, permission: 'identity:tenant:create' },
        { token: pair.accessToken },
      ),
    ).resolves.toMatchObject({ allowed: true });
    // Identity's guard asks the permission service with the same token.
    await expect(
      identity.rpc.request(api.createTenant, { slug: 'keyed', name: 'Keyed' }, { token: pair.accessToken }),
    ).resolves.toMatchObject({ slug: 'keyed' });
  });

  it('publishes the successor before it signs and keeps the predecessor until its tokens expire', async () => {
    const first = await login();
    const firstKid = kidOf(first.accessToken);
    expect(decodeProtectedHeader(first.accessToken).alg).toBe('EdDSA');
    expect(await published()).toEqual([firstKid]);

    // Within the publish lead of the first key's end, rotation publishes the next key.
    identity.advance(51 * minute);
    await keys.rotate();
    const both = await published();
    expect(both).toHaveLength(2);
    expect(both).toContain(firstKid);
    const nextKid = both.find((kid) => kid !== firstKid);
    // Rotating again changes nothing: the successor exists.
    await keys.rotate();
    expect(await published()).toHaveLength(2);

    // Tokens are still signed by the first key until it ends.
    const beforeSwitch = await login();
    expect(kidOf(beforeSwitch.accessToken)).toBe(firstKid);

    identity.advance(10 * minute); // 61 minutes: the second key signs
    const afterSwitch = await login();
    expect(kidOf(afterSwitch.accessToken)).toBe(nextKid);
    // The first key stays published while tokens it signed may still be valid…
    expect(await published()).toEqual(expect.arrayContaining([firstKid, nextKid]));
    // …and every published key verifies what it signed, while it is valid.
    const jwks = createLocalJWKSet(await keys.jwks());
    await expect(
      jwtVerify(afterSwitch.accessToken, jwks, {
        issuer: 'parley-identity',
        audience: 'parley',
        currentDate: new Date(Date.now() + 61 * minute),
      }),
    ).resolves.toBeDefined();
    await expect(
      jwtVerify(beforeSwitch.accessToken, jwks, {
        issuer: 'parley-identity',
        audience: 'parley',
        currentDate: new Date(Date.now() + 55 * minute),
      }),
    ).resolves.toBeDefined();

    identity.advance(5 * minute); // 66 minutes: every token of the first key has expired
    expect(await published()).toEqual([nextKid]);
  });

  it('creates a fresh key when every key has expired', async () => {
    identity.advance(3 * 60 * minute);
    expect(await published()).toEqual([]);
    const pair = await login();
    expect(await published()).toEqual([kidOf(pair.accessToken)]);
  });
});
