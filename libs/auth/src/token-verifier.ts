import { accessTokenClaims, ParleyError, type Principal, principalSchema } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import {
  createPublicKey,
  verify as verifySignature,
  type JsonWebKeyInput,
  type KeyObject,
} from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload } from 'jose';
import { asJwks, type JwksSource } from './jwks-source.js';

/** Why a token was refused; in `details.reason` of the `unauthenticated` error. */
export const authFailureReasons = [
  'missing',
  'malformed',
  'expired',
  'invalid_signature',
  'wrong_issuer',
  'wrong_audience',
  'unknown_key',
] as const;
export type AuthFailureReason = (typeof authFailureReasons)[number];

const failureMessages: Record<AuthFailureReason, string> = {
  missing: 'An access token is required',
  malformed: 'The access token is malformed',
  expired: 'The access token has expired',
  invalid_signature: 'The access token signature is invalid',
  wrong_issuer: 'The access token was issued by an unexpected issuer',
  wrong_audience: 'The access token is not meant for this service',
  unknown_key: 'The access token was signed with an unknown key',
};

/** The `unauthenticated` error for a refused token. */
export function authFailure(reason: AuthFailureReason, message = failureMessages[reason]): ParleyError {
  return new ParleyError('unauthenticated', message, { reason });
}

export interface TokenVerifierOptions {
  /** Expected `iss`. */
  issuer: string;
  /** Expected `aud` (this service, or the platform audience). */
  audience: string;
  /** Where the public keys come from; called on first use and on an unknown key id. */
  jwks: JwksSource;
  /** Accepted signature algorithms; `['RS256', 'EdDSA']` when omitted (a key only verifies its own). */
  algorithms?: string[];
  /** Leeway for `exp` and `nbf`, in seconds; 5 when omitted. */
  clockToleranceSeconds?: number;
  /** Least time between two key set fetches caused by unknown key ids; 10 s when omitted. */
  refreshCooldownMs?: number;
  /** Verified tokens remembered until they expire (0 turns this off); 10 000 when omitted. */
  cacheSize?: number;
  /** Current time in milliseconds; `Date.now` when omitted (tests move it). */
  now?: () => number;
}

/** A verification key, imported once per key set. */
interface VerificationKey {
  readonly algorithm: string;
  readonly key: KeyObject;
}

interface KeySet {
  readonly byKid: ReadonlyMap<string, VerificationKey>;
  readonly fingerprint: string;
}

/**
 * How node:crypto checks each accepted algorithm. Signatures are checked with node:crypto's
 * synchronous `verify` on KeyObjects: jose 6 verifies through WebCrypto, whose asynchronous calls
 * cost several times the RSA check itself, and verification runs on every request. jose still
 * decodes the header and the claims.
 */
const signatureChecks: Record<string, { digest: string | null; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { digest: 'sha256' },
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
  EdDSA: { digest: null },
};

const requiredClaims = [
  'sub',
  accessTokenClaims.tenantId,
  accessTokenClaims.sessionId,
  accessTokenClaims.userKind,
];

/** A token without kid may only use the key set's single key. */
function onlyKey(keys: KeySet): VerificationKey | undefined {
  return keys.byKid.size === 1 ? keys.byKid.values().next().value : undefined;
}

/** A refusal raised while checking a token; mapped to the public reason by `refusal`. */
class UnknownKey extends Error {}

interface Verified {
  readonly principal: Principal;
  /** `exp` in seconds. */
  readonly expiresAt: number;
}

/** Three base64url segments; anything else is refused before any parsing. */
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const maxTokenLength = 8192;
const bearer = /^Bearer +([^ ]+) *$/i;

/**
 * Verifies Parley access tokens locally against a cached JSON Web Key Set.
 *
 * The key set is fetched on first use and again when a token names an unknown key id (at most once
 * per cooldown; concurrent callers share one fetch). A verified token is remembered until it
 * expires, so a client's repeated calls cost a map lookup instead of a signature check; the
 * memory is cleared whenever the key set changes, so removing a key takes effect at once.
 */
export class TokenVerifier {
  private readonly logger = createLogger(TokenVerifier.name);
  private readonly source: JwksSource;
  private readonly issuer: string;
  private readonly audience: string;
  private readonly algorithms: ReadonlySet<string>;
  private readonly tolerance: number;
  private readonly cooldownMs: number;
  private readonly cacheSize: number;
  private readonly now: () => number;
  private readonly customClock: boolean;
  private readonly verified = new Map<string, Verified>();
  private keys: KeySet | undefined;
  private loading: Promise<KeySet> | undefined;
  private lastFetchAt = Number.NEGATIVE_INFINITY;

  constructor(options: TokenVerifierOptions) {
    if (options.issuer.length === 0 || options.audience.length === 0) {
      throw new ParleyError('validation_failed', 'TokenVerifier needs a non-empty issuer and audience');
    }
    this.source = options.jwks;
    this.tolerance = options.clockToleranceSeconds ?? 5;
    this.cooldownMs = options.refreshCooldownMs ?? 10_000;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.customClock = options.now !== undefined;
    this.now = options.now ?? Date.now;
    this.issuer = options.issuer;
    this.audience = options.audience;
    const algorithms = options.algorithms ?? ['RS256', 'EdDSA'];
    const unsupported = algorithms.filter((algorithm) => signatureChecks[algorithm] === undefined);
    if (unsupported.length > 0) {
      throw new ParleyError('validation_failed', `Unsupported token algorithms: ${unsupported.join(', ')}`);
    }
    this.algorithms = new Set(algorithms);
  }

  /** Verifies the value of an `Authorization` header (`Bearer <token>`). */
  verifyAuthorization(header: string | undefined | null): Promise<Principal> {
    if (header === undefined || header === null || header.length === 0) {
      return Promise.reject(authFailure('missing'));
    }
    const match = bearer.exec(header);
    if (match === null) {
      return Promise.reject(
        authFailure('malformed', 'The Authorization header must be "Bearer <access token>"'),
      );
    }
    return this.verify(match[1]);
  }

  /** Verifies an access token and returns its principal, or throws `unauthenticated`. */
  async verify(token: string | undefined | null): Promise<Principal> {
    if (token === undefined || token === null || token.length === 0) {
      throw authFailure('missing');
    }
    const remembered = this.verified.get(token);
    if (remembered !== undefined) {
      if (Math.floor(this.now() / 1000) - this.tolerance < remembered.expiresAt) {
        return remembered.principal;
      }
      this.verified.delete(token);
      throw authFailure('expired');
    }
    if (token.length > maxTokenLength || !compactJws.test(token)) {
      throw authFailure('malformed');
    }
    const keys = this.keys ?? (await this.fetchKeys());
    try {
      return this.check(token, keys);
    } catch (error) {
      if (!(error instanceof UnknownKey)) {
        throw this.refusal(error);
      }
    }
    const fresher = await this.keysAfterUnknownKid(keys);
    if (fresher === undefined) {
      throw authFailure('unknown_key');
    }
    try {
      return this.check(token, fresher);
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /** How many verified tokens are remembered right now (for metrics). */
  get rememberedTokens(): number {
    return this.verified.size;
  }

  /** Fetches the key set now (e.g. at start-up, to fail early); shares a fetch under way. */
  async loadKeys(): Promise<void> {
    await this.fetchKeys();
  }

  private fetchKeys(): Promise<KeySet> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<KeySet> {
    this.lastFetchAt = this.now();
    let keys: KeySet;
    try {
      const jwks = asJwks(await this.source());
      keys = { byKid: this.importKeys(jwks), fingerprint: JSON.stringify(jwks.keys) };
    } catch (error) {
      this.logger.error({ err: error }, 'Fetching the key set that verifies access tokens failed');
      throw error instanceof ParleyError
        ? error
        : new ParleyError('unavailable', 'The key set that verifies access tokens could not be fetched');
    }
    if (this.keys?.fingerprint !== keys.fingerprint) {
      // A removed key must stop vouching for the tokens it signed.
      this.verified.clear();
    }
    this.keys = keys;
    return keys;
  }

  /** A newer key set to retry with, or undefined when none may be fetched yet. */
  private async keysAfterUnknownKid(used: KeySet): Promise<KeySet | undefined> {
    if (this.keys !== undefined && this.keys !== used) {
      return this.keys; // refreshed by someone else while this token was being checked
    }
    if (this.loading !== undefined) {
      return this.loading;
    }
    if (this.now() - this.lastFetchAt < this.cooldownMs) {
      return undefined;
    }
    return this.fetchKeys();
  }

  /** Signing keys of the set, by kid; keys for other uses or algorithms are left out. */
  private importKeys(jwks: JSONWebKeySet): Map<string, VerificationKey> {
    const byKid = new Map<string, VerificationKey>();
    for (const jwk of jwks.keys) {
      if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string' || !this.algorithms.has(jwk.alg)) {
        continue;
      }
      if (jwk.use !== undefined && jwk.use !== 'sig') {
        continue;
      }
      try {
        byKid.set(jwk.kid, {
          algorithm: jwk.alg,
          key: createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' }),
        });
      } catch (error) {
        this.logger.warn(
          { err: error, kid: jwk.kid },
          'A key of the key set could not be imported; it is ignored',
        );
      }
    }
    return byKid;
  }

  private check(token: string, keys: KeySet): Principal {
    const header = decodeProtectedHeader(token);
    if (typeof header.alg !== 'string' || !this.algorithms.has(header.alg)) {
      throw authFailure(
        'invalid_signature',
        'The access token is signed with an algorithm that is not accepted',
      );
    }
    if (header.crit !== undefined) {
      throw authFailure('malformed', 'The access token has critical header parameters');
    }
    const key = typeof header.kid === 'string' ? keys.byKid.get(header.kid) : onlyKey(keys);
    if (key === undefined) {
      throw new UnknownKey();
    }
    // The key decides the algorithm: a token cannot make an RSA key check another kind of signature.
    if (key.algorithm !== header.alg) {
      throw authFailure('invalid_signature');
    }
    const lastDot = token.lastIndexOf('.');
    const check = signatureChecks[key.algorithm] as (typeof signatureChecks)[string];
    const valid = verifySignature(
      check.digest,
      Buffer.from(token.slice(0, lastDot)),
      check.dsaEncoding === undefined ? key.key : { key: key.key, dsaEncoding: check.dsaEncoding },
      Buffer.from(token.slice(lastDot + 1), 'base64url'),
    );
    if (!valid) {
      throw authFailure('invalid_signature');
    }
    const payload = decodeJwt(token);
    this.checkClaims(payload);
    const parsed = principalSchema.safeParse({
      userId: payload.sub,
      tenantId: payload[accessTokenClaims.tenantId],
      sessionId: payload[accessTokenClaims.sessionId],
      kind: payload[accessTokenClaims.userKind],
    });
    if (!parsed.success) {
      throw authFailure('malformed', 'The access token claims are invalid');
    }
    const principal = Object.freeze(parsed.data);
    this.remember(token, { principal, expiresAt: payload.exp as number });
    return principal;
  }

  /** The registered claims (RFC 7519 section 4.1) an access token must satisfy. */
  private checkClaims(payload: JWTPayload): void {
    const now = Math.floor(this.now() / 1000);
    if (typeof payload.exp !== 'number') {
      throw authFailure('malformed', 'The access token has an invalid or missing "exp" claim');
    }
    if (now - this.tolerance >= payload.exp) {
      throw authFailure('expired');
    }
    if (
      payload.nbf !== undefined &&
      (typeof payload.nbf !== 'number' || now + this.tolerance < payload.nbf)
    ) {
      throw authFailure('malformed', 'The access token is not valid yet');
    }
    if (payload.iss !== this.issuer) {
      throw authFailure('wrong_issuer');
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.includes(this.audience)) {
      throw authFailure('wrong_audience');
    }
    for (const claim of requiredClaims) {
      if (payload[claim] === undefined) {
        throw authFailure('malformed', `The access token has an invalid or missing "${claim}" claim`);
      }
    }
  }

  private remember(token: string, entry: Verified): void {
    if (this.cacheSize <= 0) {
      return;
    }
    if (this.verified.size >= this.cacheSize) {
      // Oldest first: Map keeps insertion order.
      this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, entry);
  }

  private refusal(error: unknown): ParleyError {
    if (error instanceof ParleyError) {
      return error;
    }
    if (error instanceof UnknownKey) {
      return authFailure('unknown_key');
    }
    // Anything else the decoder rejects is a token that does not parse.
    this.logger.debug({ err: error }, 'Access token refused as malformed');
    return authFailure('malformed');
  }
}
