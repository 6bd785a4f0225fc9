import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { identityRequests, type Principal, type UserKind } from '@parley/contracts';
import type { Namespace } from '@parley/nats';

export const testIssuer = 'parley-identity';
export const testAudience = 'parley';

/** A signing key standing in for identity's, and the key set that verifies it. */
export interface TestSigner {
  readonly jwks: { keys: JWK[] };
  /** An access token for the principal, signed like identity signs (RS256, kid, Parley claims). */
  token(principal: TokenSubject, options?: { issuer?: string; expiresIn?: string }): Promise<string>;
}

export interface TokenSubject {
  userId: string;
  tenantId: string;
  kind?: UserKind;
  sessionId?: string;
}

export async function createTestSigner(): Promise<TestSigner> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `test-${randomUUID()}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    token: (principal, options = {}) =>
      new SignJWT({
        tenant_id: principal.tenantId,
        sid: principal.sessionId ?? randomUUID(),
        user_kind: principal.kind ?? 'person',
      })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(principal.userId)
        .setIssuer(options.issuer ?? testIssuer)
        .setAudience(testAudience)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '1h')
        .setJti(randomUUID())
        .sign(privateKey),
  };
}

/** Answers identity.v1.jwks.get in the namespace with the signer's key set, as identity would. */
export function serveJwks(nats: NatsConnection, namespace: Namespace, signer: TestSigner): Subscription {
  return nats.subscribe(namespace.subject(identityRequests.getJwks.subject), {
    callback: (_error, message) => {
      message.respond(JSON.stringify({ ok: true, data: signer.jwks }));
    },
  });
}

/** A principal of a fresh user in the tenant. */
export function newPrincipal(tenantId: string, kind: UserKind = 'person'): Principal {
  return { userId: randomUUID(), tenantId, sessionId: randomUUID(), kind };
}
