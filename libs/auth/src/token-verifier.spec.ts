import { ParleyError } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { CompactSign, SignJWT } from 'jose';
import {
  accessToken,
  audience,
  FakeJwksSource,
  identity,
  issuer,
  keySet,
  type SigningKey,
  signingKey,
} from '../test/token-factory.js';
import { authFailure, TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';
import { parleyErrorOf } from '@parley/testing';

let key1: SigningKey;
let key2: SigningKey;

beforeAll(async () => {
  configureLogging({ service: 'auth-spec', level: 'silent' });
  [key1, key2] = await Promise.all([signingKey('k1'), signingKey('k2')]);
});

function verifier(jwks: FakeJwksSource, options: Partial<TokenVerifierOptions> = {}): TokenVerifier {
  return new TokenVerifier({ issuer, audience, jwks: jwks.source, ...options });
}

async function reasonOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await parleyErrorOf(promise);
  expect(error.code).toBe('unauthenticated');
  return error.details?.['reason'];
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('TokenVerifier', () => {
  it('returns the principal of a valid token, fetching the key set once', async () => {
    const jwks = new FakeJwksSource(keySet(key1));
    const tokens = verifier(jwks);
    const who = identity();
    const token = await accessToken(key1, who, { user_kind: 'bot' });

    const principal = await tokens.verify(token);
    expect(principal).toEqual({
      userId: who.userId,
      tenantId: who.tenantId,
      sessionId: who.sessionId,
      kind: 'bot',
    });
    expect(Object.isFrozen(principal)).toBe(true);
    expect(await tokens.verify(await accessToken(key1, identity()))).toMatchObject({ kind: 'person' });
    expect(jwks.calls).toBe(1);
  });

  it('remembers a verified token and forgets it once expired', async () => {
    let now = Date.now();
    const tokens = verifier(new FakeJwksSource(keySet(key1)), { now: () => now, clockToleranceSeconds: 0 });
    const token = await accessToken(key1, identity(), { exp: nowSeconds() + 60 });

    const first = await tokens.verify(token);
    expect(tokens.rememberedTokens).toBe(1);
    expect(await tokens.verify(token)).toBe(first);

    now += 61_000;
    expect(await reasonOf(tokens.verify(token))).toBe('expired');
    expect(tokens.rememberedTokens).toBe(0);
    // Not remembered any more: jose itself now refuses it.
    expect(await reasonOf(tokens.verify(token))).toBe('expired');
  });

  it('accepts a token within the clock tolerance', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)), { clockToleranceSeconds: 30 });
    const token = await accessToken(key1, identity(), { exp: nowSeconds() - 10 });
    await expect(tokens.verify(token)).resolves.toBeDefined();
  });

  it('keeps at most cacheSize tokens, and none with 0', async () => {
    const bounded = verifier(new FakeJwksSource(keySet(key1)), { cacheSize: 2 });
    for (let i = 0; i < 3; i += 1) {
      await bounded.verify(await accessToken(key1, identity()));
    }
    expect(bounded.rememberedTokens).toBe(2);

    const uncached = verifier(new FakeJwksSource(keySet(key1)), { cacheSize: 0 });
    await uncached.verify(await accessToken(key1, identity()));
    expect(uncached.rememberedTokens).toBe(0);
  });

  it.each([
    ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }],
    ['wrong_issuer', { iss: 'someone-else' }],
    ['wrong_audience', { aud: 'another-service' }],
    ['malformed', { tenant_id: 'not-a-uuid' }],
    ['malformed', { user_kind: 'admin' }],
    ['malformed', { sid: 42 }],
    ['malformed', { exp: null }],
    ['malformed', { nbf: Math.floor(Date.now() / 1000) + 3600 }],
  ] as const)('refuses with reason %s for %j', async (reason, claims) => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    expect(await reasonOf(tokens.verify(await accessToken(key1, identity(), claims)))).toBe(reason);
  });

  it('says which claim is wrong, without the token', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const token = await accessToken(key1, identity(), { exp: null });
    const error = await parleyErrorOf(tokens.verify(token));
    expect(error.message).toBe('The access token has an invalid or missing "exp" claim');
    const early = await parleyErrorOf(
      tokens.verify(await accessToken(key1, identity(), { nbf: nowSeconds() + 3600 })),
    );
    expect(early.message).toBe('The access token is not valid yet');
    const claims = await parleyErrorOf(
      tokens.verify(await accessToken(key1, identity(), { tenant_id: 'x' })),
    );
    expect(claims.message).toBe('The access token claims are invalid');
  });

  it('refuses a token without a sid claim', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const token = await new SignJWT({ tenant_id: identity().tenantId, user_kind: 'person' })
      .setProtectedHeader({ alg: 'EdDSA', kid: key1.kid })
      .setSubject(identity().userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(key1.privateKey);
    const error = await parleyErrorOf(tokens.verify(token));
    expect(error.toEnvelope()).toEqual({
      code: 'unauthenticated',
      message: 'The access token has an invalid or missing "sid" claim',
      details: { reason: 'malformed' },
    });
  });

  it('refuses tampered payloads and signatures, and tokens signed by another key under a known kid', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const token = await accessToken(key1, identity());
    const [header, payload, signature] = token.split('.') as [string, string, string];

    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, tenant_id: identity().tenantId })).toString(
      'base64url',
    );
    expect(await reasonOf(tokens.verify(`${header}.${forged}.${signature}`))).toBe('invalid_signature');

    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect(await reasonOf(tokens.verify(`${header}.${payload}.${flipped}`))).toBe('invalid_signature');

    const impostor = await accessToken(key2, identity(), {}, { kid: key1.kid });
    expect(await reasonOf(tokens.verify(impostor))).toBe('invalid_signature');
  });

  it('refuses algorithms other than the accepted ones', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: key1.kid })
      .setExpirationTime('5m')
      .sign(new Uint8Array(32).fill(7));
    expect(await reasonOf(tokens.verify(hmac))).toBe('invalid_signature');

    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await reasonOf(tokens.verify(none))).toBe('malformed');
  });

  it.each([
    'abc',
    'a.b',
    'a.b.c',
    '...',
    'a b.c.d',
    `${'a'.repeat(9000)}.b.c`,
    `${Buffer.from('not json').toString('base64url')}.e30.c2ln`,
    `${Buffer.from('{"alg":"EdDSA","kid":"k1","crit":["x"]}').toString('base64url')}.e30.c2ln`,
  ])('refuses garbage %# as malformed', async (garbage) => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    expect(await reasonOf(tokens.verify(garbage))).toBe('malformed');
  });

  it('refuses a correctly signed payload that is not a claims object as malformed', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const signed = await new CompactSign(new TextEncoder().encode('[1,2]'))
      .setProtectedHeader({ alg: 'EdDSA', kid: key1.kid })
      .sign(key1.privateKey);
    expect(await reasonOf(tokens.verify(signed))).toBe('malformed');
  });

  it.each([undefined, null, ''])('refuses %j as missing', async (token) => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    expect(await reasonOf(tokens.verify(token))).toBe('missing');
  });

  it('accepts a token without kid when one key matches, refuses it when several do', async () => {
    const who = identity();
    const single = verifier(new FakeJwksSource(keySet(key1)));
    await expect(single.verify(await accessToken(key1, who, {}, { kid: null }))).resolves.toMatchObject({
      userId: who.userId,
    });
    const several = verifier(new FakeJwksSource(keySet(key1, key2)));
    expect(await reasonOf(several.verify(await accessToken(key1, who, {}, { kid: null })))).toBe(
      'unknown_key',
    );
  });

  it('parses the Authorization header', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    const token = await accessToken(key1, identity());
    await expect(tokens.verifyAuthorization(`Bearer ${token}`)).resolves.toBeDefined();
    await expect(tokens.verifyAuthorization(`bearer  ${token} `)).resolves.toBeDefined();
    expect(await reasonOf(tokens.verifyAuthorization(undefined))).toBe('missing');
    expect(await reasonOf(tokens.verifyAuthorization(null))).toBe('missing');
    expect(await reasonOf(tokens.verifyAuthorization(''))).toBe('missing');
    const basic = await parleyErrorOf(tokens.verifyAuthorization('Basic dXNlcjpwYXNz'));
    expect(basic.details).toEqual({ reason: 'malformed' });
    expect(basic.message).toBe('The Authorization header must be "Bearer <access token>"');
    expect(await reasonOf(tokens.verifyAuthorization('Bearer'))).toBe('malformed');
  });

  describe('key rotation', () => {
    it('re-fetches on an unknown kid and accepts the rotated key', async () => {
      let now = Date.now();
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { now: () => now });
      await tokens.verify(await accessToken(key1, identity()));
      jwks.serve(keySet(key1, key2));
      now += 10_000; // the default cooldown

      await expect(tokens.verify(await accessToken(key2, identity()))).resolves.toBeDefined();
      expect(jwks.calls).toBe(2);
    });

    it('re-fetches right away with no cooldown', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { refreshCooldownMs: 0 });
      await tokens.verify(await accessToken(key1, identity()));
      jwks.serve(keySet(key1, key2));

      await expect(tokens.verify(await accessToken(key2, identity()))).resolves.toBeDefined();
      expect(jwks.calls).toBe(2);
    });

    it('refuses an unknown kid without fetching again within the cooldown, fetches after it', async () => {
      let now = Date.now();
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { refreshCooldownMs: 10_000, now: () => now });
      await tokens.loadKeys();
      expect(jwks.calls).toBe(1);

      const rotated = await accessToken(key2, identity());
      // Within the cooldown of the first fetch: no new fetch.
      expect(await reasonOf(tokens.verify(rotated))).toBe('unknown_key');
      expect(jwks.calls).toBe(1);

      now += 10_001;
      expect(await reasonOf(tokens.verify(rotated))).toBe('unknown_key'); // fetched, still unknown
      expect(jwks.calls).toBe(2);
      jwks.serve(keySet(key1, key2));
      expect(await reasonOf(tokens.verify(rotated))).toBe('unknown_key'); // cooldown again
      expect(jwks.calls).toBe(2);

      now += 10_001;
      await expect(tokens.verify(rotated)).resolves.toBeDefined();
      expect(jwks.calls).toBe(3);
    });

    it('shares one fetch between concurrent callers, first load and refresh alike', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { refreshCooldownMs: 0 });
      const releaseFirst = jwks.hold(keySet(key1));
      const first = Array.from({ length: 5 }, async () => tokens.verify(await accessToken(key1, identity())));
      await new Promise((resolve) => setTimeout(resolve, 20));
      releaseFirst();
      await Promise.all(first);
      expect(jwks.calls).toBe(1);

      const releaseRefresh = jwks.hold(keySet(key1, key2));
      const rotated = await Promise.all(Array.from({ length: 5 }, () => accessToken(key2, identity())));
      const verifying = rotated.map((token) => tokens.verify(token));
      await new Promise((resolve) => setTimeout(resolve, 20));
      releaseRefresh();
      await expect(Promise.all(verifying)).resolves.toHaveLength(5);
      expect(jwks.calls).toBe(2);
    });

    it('forgets remembered tokens when a key is withdrawn', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { refreshCooldownMs: 0 });
      const old = await accessToken(key1, identity());
      await tokens.verify(old);
      expect(tokens.rememberedTokens).toBe(1);

      jwks.serve(keySet(key2));
      await tokens.verify(await accessToken(key2, identity()));
      expect(await reasonOf(tokens.verify(old))).toBe('unknown_key');
    });

    it('keeps remembered tokens when a fetch brings the same keys', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      const tokens = verifier(jwks, { refreshCooldownMs: 0 });
      await tokens.verify(await accessToken(key1, identity()));
      await reasonOf(tokens.verify(await accessToken(key2, identity())));
      expect(jwks.calls).toBe(2);
      expect(tokens.rememberedTokens).toBe(1);
    });
  });

  describe('when the key source fails', () => {
    it('answers unavailable and tries again on the next call', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      jwks.fail(new Error('connection refused'));
      const tokens = verifier(jwks);
      const token = await accessToken(key1, identity());

      const error = await parleyErrorOf(tokens.verify(token));
      expect(error.code).toBe('unavailable');
      expect(error.message).not.toContain('connection refused');

      jwks.serve(keySet(key1));
      await expect(tokens.verify(token)).resolves.toBeDefined();
      expect(jwks.calls).toBe(2);
    });

    it('passes on a typed error from the source', async () => {
      const jwks = new FakeJwksSource(keySet(key1));
      jwks.fail(new ParleyError('unavailable', 'identity is down'));
      await expect(verifier(jwks).loadKeys()).rejects.toThrow('identity is down');
    });

    it.each([null, 'keys', { keys: 'k1' }, { keys: [1] }, { keys: [[]] }])(
      'answers unavailable for a key set shaped like %j',
      async (value) => {
        const jwks = new FakeJwksSource(keySet(key1));
        jwks.returnRaw(value);
        const error = await parleyErrorOf(verifier(jwks).loadKeys());
        expect(error.code).toBe('unavailable');
      },
    );
  });

  it('checks its options', () => {
    const jwks = new FakeJwksSource(keySet());
    expect(() => verifier(jwks, { issuer: '' })).toThrow(ParleyError);
    expect(() => verifier(jwks, { audience: '' })).toThrow('non-empty issuer and audience');
  });

  it('builds the same error for each reason', () => {
    expect(authFailure('expired').toEnvelope()).toEqual({
      code: 'unauthenticated',
      message: 'The access token has expired',
      details: { reason: 'expired' },
    });
  });

  it('verifies at least 20 000 tokens per second on one core', async () => {
    const tokens = verifier(new FakeJwksSource(keySet(key1)));
    // Clients repeat their token on every call until it expires; 50 clients here.
    const pool = await Promise.all(Array.from({ length: 50 }, () => accessToken(key1, identity())));
    await Promise.all(pool.map((token) => tokens.verify(token)));
    const rounds = 100_000;
    const started = performance.now();
    for (let i = 0; i < rounds; i += 1) {
      await tokens.verify(pool[i % pool.length]);
    }
    const perSecond = rounds / ((performance.now() - started) / 1000);
    expect(perSecond).toBeGreaterThan(20_000);
  });
});
