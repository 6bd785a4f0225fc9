import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { headerNames, ParleyError, type Principal } from '@parley/contracts';
import { createLogger, logSecurityEvent, requestContext } from '@parley/logging';
import { attachPrincipal, requestCarrier } from './principal-store.js';
import { TokenVerifier } from './token-verifier.js';

/** What the guard reads of an HTTP request (Express or any Node-based adapter). */
interface HttpRequestLike {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the guard reads of a NATS context (`NatsContext` of @nestjs/microservices). */
interface NatsContextLike {
  getSubject?: () => string;
  getHeaders?: () => { get(name: string): string } | undefined;
}

interface Incoming {
  carrier: object;
  authorization: string | undefined;
  /** Identity the message claims in its headers (NATS), checked against the token. */
  claimedTenantId?: string;
  claimedActorId?: string;
  target: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.length === 0 ? undefined : value;
}

/**
 * Lets a request through only with a valid access token (`Authorization: Bearer …`), for HTTP
 * controllers and NATS handlers alike. The principal is then available through `@Actor()` and
 * the request context carries its `actorId` and `tenantId`. A NATS message whose
 * `Parley-Tenant-Id` or `Parley-Actor-Id` header contradicts its token is refused (`forbidden`).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = createLogger(AuthGuard.name);

  constructor(private readonly verifier: TokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const incoming = this.incoming(context);
    try {
      const principal = await this.verifier.verifyAuthorization(incoming.authorization);
      this.checkClaims(incoming, principal);
      attachPrincipal(incoming.carrier, principal);
      requestContext.assign({ actorId: principal.userId, tenantId: principal.tenantId });
      return true;
    } catch (error) {
      if (error instanceof ParleyError && (error.code === 'unauthenticated' || error.code === 'forbidden')) {
        logSecurityEvent(this.logger, {
          type: 'access_token',
          outcome: error.code === 'forbidden' ? 'denied' : 'failed',
          reason: typeof error.details?.['reason'] === 'string' ? error.details['reason'] : error.code,
          transport: context.getType(),
          target: incoming.target,
          handler: `${context.getClass().name}.${context.getHandler().name}`,
        });
      }
      throw error;
    }
  }

  private incoming(context: ExecutionContext): Incoming {
    const type = context.getType<'http' | 'rpc' | 'ws'>();
    if (type === 'http') {
      const request = context.switchToHttp().getRequest<HttpRequestLike>();
      const header = request.headers['authorization'];
      return {
        carrier: request,
        authorization: Array.isArray(header) ? header[0] : header,
        target: `${request.method ?? ''} ${request.url ?? ''}`.trim(),
      };
    }
    if (type === 'rpc') {
      const nats = requestCarrier(context) as NatsContextLike;
      const headers = typeof nats.getHeaders === 'function' ? nats.getHeaders() : undefined;
      return {
        carrier: nats,
        authorization: nonEmpty(headers?.get(headerNames.authorization)),
        claimedTenantId: nonEmpty(headers?.get(headerNames.tenantId)),
        claimedActorId: nonEmpty(headers?.get(headerNames.actorId)),
        target: typeof nats.getSubject === 'function' ? nats.getSubject() : 'rpc',
      };
    }
    throw new ParleyError('internal', `AuthGuard does not support "${type}" handlers`);
  }

  private checkClaims(incoming: Incoming, principal: Principal): void {
    if (incoming.claimedTenantId !== undefined && incoming.claimedTenantId !== principal.tenantId) {
      throw new ParleyError(
        'forbidden',
        `The ${headerNames.tenantId} header does not match the access token`,
        {
          reason: 'tenant_mismatch',
        },
      );
    }
    if (incoming.claimedActorId !== undefined && incoming.claimedActorId !== principal.userId) {
      throw new ParleyError(
        'forbidden',
        `The ${headerNames.actorId} header does not match the access token`,
        {
          reason: 'actor_mismatch',
        },
      );
    }
  }
}
