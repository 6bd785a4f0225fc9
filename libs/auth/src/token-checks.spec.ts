import { KeyObject, sign as signWith } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { parleyErrorOf } from '@parley/testing';
import { TokenVerifier } from './token-verifier.js';

const issuer = 'parley-identity';
const audience = 'parley';
const principal = {
  sub: '0193a5e0-0000-7000-8000-000000000001',
  tenant_id: '0193a5e0-0000-7000-8000-000000000002',
  sid: '0193a5e0-0000-7000-8000-000000000003',
  user_kind: 'person',
};

async function pair(alg: 'RS256' | 'EdDSA' | 'ES256', kid: string) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { jwk, privateKey };
}

function sign(
  key: Awaited<ReturnType<typeof pair>>,
  header: Record<string, unknown> = {},
  claims: Record<string, unknown> = {},
) {
  return new SignJWT({ ...principal, ...claims })
    .setProtectedHeader({ alg: key.jwk.alg ?? 'RS256', kid: key.jwk.kid, ...header })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

const verifierFor = (keys: JWK[], algorithms?: string[]) =>
  new TokenVerifier({
    issuer,
    audience,
    jwks: () => Promise.resolve({ keys }),
    ...(algorithms ? { algorithms } : {}),
    cacheSize: 0,
  });

describe('TokenVerifier signature and claim checks', () => {
  it('verifies RS256, EdDSA and ES256 tokens with the key their kid names', async () => {
    const rsa = await pair('RS256', 'r');
    const ed = await pair('EdDSA', 'e');
    const ec = await pair('ES256', 'c');
    const tokens = verifierFor([rsa.jwk, ed.jwk, ec.jwk], ['RS256', 'EdDSA', 'ES256']);
    for (const key of [rsa, ed, ec]) {
      await expect(tokens.verify(await sign(key))).resolves.toMatchObject({
        userId: principal.sub,
        kind: 'person',
      });
    }
  });

  it('lets the key decide the algorithm: a header naming another one is refused', async () => {
    const rsa = await pair('RS256', 'r');
    const ed = await pair('EdDSA', 'e');
    const tokens = verifierFor([rsa.jwk, ed.jwk]);
    const forged = await sign(ed, { kid: 'r' });
    expect((await parleyErrorOf(tokens.verify(forged))).details).toEqual({ reason: 'invalid_signature' });
  });

  it('refuses critical headers, future nbf and unsupported algorithm settings', async () => {
    const rsa = await pair('RS256', 'r');
    const tokens = verifierFor([rsa.jwk]);
    // jose refuses to sign unknown critical headers, so this token is put together by hand.
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ alg: 'RS256', kid: 'r', crit: ['x-parley'], 'x-parley': 1 })}.${encode({
      ...principal,
      iss: issuer,
      aud: audience,
      exp: Math.floor(Date.now() / 1000) + 300,
    })}`;
    const signature = signWith('sha256', Buffer.from(signingInput), KeyObject.from(rsa.privateKey));
    const critical = `${signingInput}.${signature.toString('base64url')}`;
    expect((await parleyErrorOf(tokens.verify(critical))).message).toMatch(/critical header/);
    const early = await sign(rsa, {}, { nbf: Math.floor(Date.now() / 1000) + 600 });
    expect((await parleyErrorOf(tokens.verify(early))).message).toMatch(/not valid yet/);
    expect(() => verifierFor([], ['HS256'])).toThrow(/Unsupported token algorithms: HS256/);
  });

  it('ignores keys meant for encryption, of other algorithms, or that do not import', async () => {
    const rsa = await pair('RS256', 'r');
    const encryption = { ...(await pair('RS256', 'x')).jwk, use: 'enc' };
    const broken: JWK = { kty: 'RSA', kid: 'b', alg: 'RS256', n: 'AQAB', e: 'nope' };
    const other: JWK = { ...(await pair('ES256', 'c')).jwk };
    const tokens = verifierFor([rsa.jwk, encryption, broken, other]);
    await expect(tokens.verify(await sign(rsa))).resolves.toMatchObject({ userId: principal.sub });
    const viaEncryptionKey = await sign({
      jwk: encryption,
      privateKey: (await pair('RS256', 'x')).privateKey,
    });
    expect((await parleyErrorOf(tokens.verify(viaEncryptionKey))).details).toEqual({ reason: 'unknown_key' });
  });
});
