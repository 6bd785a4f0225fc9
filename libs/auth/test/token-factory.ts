import { randomUUID } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

export const issuer = 'parley-identity';
export const audience = 'parley';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/** A fresh Ed25519 key pair and its public JWK, as identity publishes it. */
export async function signingKey(kid = `key-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, jwk };
}

export function keySet(...keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.jwk) };
}

export interface TokenClaims {
  sub?: string;
  tenant_id?: unknown;
  sid?: unknown;
  user_kind?: unknown;
  iss?: string;
  aud?: string;
  /** Seconds since the epoch; 15 minutes from now when omitted, absent when null. */
  exp?: number | null;
  nbf?: number;
}

export interface Identity {
  userId: string;
  tenantId: string;
  sessionId: string;
}

export function identity(): Identity {
  return { userId: randomUUID(), tenantId: randomUUID(), sessionId: randomUUID() };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs an access token the way identity does, with any claim overridable for negative cases. */
export async function accessToken(
  key: SigningKey,
  who: Identity,
  overrides: TokenClaims = {},
  header: { alg?: string; kid?: string | null } = {},
): Promise<string> {
  const claims: Record<string, unknown> = {
    tenant_id: who.tenantId,
    sid: who.sessionId,
    user_kind: 'person',
    ...overrides,
  };
  delete claims['exp'];
  delete claims['nbf'];
  delete claims['iss'];
  delete claims['aud'];
  delete claims['sub'];
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: header.alg ?? 'EdDSA',
      ...(header.kid === null ? {} : { kid: header.kid ?? key.kid }),
    })
    .setSubject(overrides.sub ?? who.userId)
    .setIssuer(overrides.iss ?? issuer)
    .setAudience(overrides.aud ?? audience)
    .setIssuedAt()
    .setJti(randomUUID());
  if (overrides.exp !== null) {
    jwt.setExpirationTime(overrides.exp ?? nowSeconds() + 900);
  }
  if (overrides.nbf !== undefined) {
    jwt.setNotBefore(overrides.nbf);
  }
  return jwt.sign(key.privateKey);
}

/** A JWKS source whose answers the test controls, counting its calls. */
export class FakeJwksSource {
  calls = 0;
  private next: () => Promise<JSONWebKeySet>;

  constructor(initial: JSONWebKeySet) {
    this.next = async () => initial;
  }

  readonly source = (): Promise<JSONWebKeySet> => {
    this.calls += 1;
    return this.next();
  };

  serve(set: JSONWebKeySet): void {
    this.next = async () => set;
  }

  fail(error: Error): void {
    this.next = async () => {
      throw error;
    };
  }

  /** The next fetches wait until `release` is called, to test sharing. */
  hold(set: JSONWebKeySet): () => void {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.next = async () => {
      await gate;
      return set;
    };
    return release;
  }

  returnRaw(value: unknown): void {
    this.next = async () => value as JSONWebKeySet;
  }
}
