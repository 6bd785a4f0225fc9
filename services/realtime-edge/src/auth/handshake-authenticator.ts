import { Inject, Injectable } from '@nestjs/common';
import { TokenVerifier } from '@parley/auth';
import { ParleyError, type ConnectRefusalReason, type Principal } from '@parley/contracts';
import { createLogger, logSecurityEvent } from '@parley/logging';
import { decodeJwt } from 'jose';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { handshakeToken, type HandshakeLike, type TokenTransport } from './handshake-token.js';
import { RevocationStore } from './revocation.store.js';

/** A verified access token. */
export interface Authenticated {
  readonly principal: Principal;
  readonly token: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly transport: TokenTransport;
}

const refusalMessages: Record<ConnectRefusalReason, string> = {
  missing: 'An access token is required: auth.token, the Authorization header, or the token query parameter',
  query_token_disabled:
    'The token query parameter is not accepted: send auth.token or an Authorization header',
  expired: 'The access token has expired',
  invalid: 'The access token is invalid',
  wrong_issuer: 'The access token was issued by an unexpected issuer',
  wrong_audience: 'The access token is not meant for this service',
  session_revoked: 'The session of this access token was revoked',
  user_suspended: 'The user is suspended',
};

/** TokenVerifier's reasons, as a connecting client is told them. */
const verifierReasons: Record<string, ConnectRefusalReason> = {
  missing: 'missing',
  expired: 'expired',
  malformed: 'invalid',
  invalid_signature: 'invalid',
  unknown_key: 'invalid',
  wrong_issuer: 'wrong_issuer',
  wrong_audience: 'wrong_audience',
};

export function connectRefusal(reason: ConnectRefusalReason): ParleyError {
  return new ParleyError('unauthenticated', refusalMessages[reason], { reason });
}

/**
 * Decides whether an access token may open or keep a connection: verified against identity's
 * keys, of a session that was not revoked. Refusals are security events; no token and no handshake
 * URL (which may hold the token) is ever logged.
 */
@Injectable()
export class HandshakeAuthenticator {
  private readonly logger = createLogger(HandshakeAuthenticator.name);

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly revocations: RevocationStore,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  /** The handshake's token, verified; throws the refusal the client receives in `connect_error`. */
  async authenticate(handshake: HandshakeLike, address: string): Promise<Authenticated> {
    const found = handshakeToken(handshake, this.settings.acceptQueryToken);
    if (!found.found) {
      const reason = found.reason === 'malformed_header' ? 'invalid' : found.reason;
      throw this.refused(reason, { address });
    }
    return this.verify(found.token, found.transport, { address });
  }

  /** A token sent to replace the current one (`auth:refresh`): same checks as at connection. */
  async verify(
    token: string,
    transport: TokenTransport,
    context: Record<string, unknown>,
  ): Promise<Authenticated> {
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'unauthenticated') {
        const reason = verifierReasons[String(error.details?.['reason'])] ?? 'invalid';
        throw this.refused(reason, { ...context, transport });
      }
      throw error;
    }
    const revoked = await this.revocations.reasonFor(principal.tenantId, principal.sessionId);
    if (revoked !== undefined) {
      throw this.refused(revoked, {
        ...context,
        transport,
        actorId: principal.userId,
        tenantId: principal.tenantId,
      });
    }
    const exp = decodeJwt(token).exp as number;
    return { principal, token, expiresAt: exp * 1000, transport };
  }

  private refused(reason: ConnectRefusalReason, context: Record<string, unknown>): ParleyError {
    logSecurityEvent(this.logger, {
      ...context,
      type: 'connection',
      outcome: reason === 'session_revoked' || reason === 'user_suspended' ? 'denied' : 'failed',
      reason,
    });
    return connectRefusal(reason);
  }
}
