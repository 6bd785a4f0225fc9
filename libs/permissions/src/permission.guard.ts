import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ParleyError, type Principal } from '@parley/contracts';
import { AuthGuard, principalOf } from '@parley/auth';
import { createLogger, logSecurityEvent } from '@parley/logging';
import type { CheckedResource } from './ability.js';
import { accessTokenOf, rememberAccessToken } from './access-token.js';
import { parseResource, PermissionChecker, refusal } from './permission.checker.js';
import { requirementOf, type RequirementInput, type ResourceResolver } from './requirement.js';

type Transport = 'http' | 'rpc' | 'ws';

/**
 * Enforces the declared requirement of every handler — HTTP routes, NATS request handlers and
 * Socket.IO gateway messages — locally, from the actor's cached compiled permissions.
 *
 * Applied globally, never per handler: a guard put on by a decorator cannot refuse the handlers
 * that forgot the decorator. `PermissionsModule` registers it as APP_GUARD (HTTP routes and
 * gateways of the application); a NATS microservice connected to the application has its own
 * configuration and gets it through `connectGuardedMicroservice`.
 *
 * Global guards run before a handler's own guards, so it usually runs before the AuthGuard that
 * `@RequestHandler` puts on: it then verifies the token itself through the same AuthGuard (the
 * verifier remembers verified tokens, so the second check is a map lookup). Socket.IO has no
 * AuthGuard: the gateway verifies the handshake token and calls `attachPrincipal(socket, …)` (and
 * `attachAccessToken(socket, token)`).
 *
 * - `@Public()`: passes, without looking for an actor.
 * - no declaration: refused (`forbidden`, `details.reason: 'no_requirement'`), whoever calls.
 * - `@AuthenticatedOnly()`: passes for any verified actor.
 * - `@RequirePermissions(...)`: the resource (if any) is resolved from the request, then every
 *   permission (or one, for `anyOf`) must be held; a denial is logged as a security event and
 *   refused with `forbidden` and `details.missing`.
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  private readonly logger = createLogger(PermissionGuard.name);

  constructor(
    private readonly auth: AuthGuard,
    private readonly checker: PermissionChecker,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const transport = transportOf(context);
    const requirement = requirementOf(context.getHandler(), context.getClass());
    if (requirement?.kind === 'public') {
      return true;
    }
    if (requirement === undefined) {
      throw this.undeclared(context, transport);
    }
    const principal = await this.authenticate(context, transport);
    const token = accessTokenOf(context);
    if (token !== undefined) {
      rememberAccessToken(principal, token);
    }
    if (requirement.kind === 'authenticated') {
      return true;
    }
    const resource =
      requirement.resource === undefined
        ? undefined
        : resolveResource(requirement.resource, context, transport);
    const evaluation = await this.checker.evaluateDeclared(principal, requirement, resource, {
      ...(token === undefined ? {} : { token }),
    });
    if (!evaluation.allowed) {
      throw refusal(this.logger, principal, requirement, evaluation, resource, {
        transport,
        handler: handlerName(context),
      });
    }
    return true;
  }

  private async authenticate(context: ExecutionContext, transport: Transport): Promise<Principal> {
    const attached = principalOf(context);
    if (attached !== undefined) {
      return attached;
    }
    if (transport !== 'ws') {
      await this.auth.canActivate(context);
      const principal = principalOf(context);
      if (principal !== undefined) {
        return principal;
      }
    }
    // A gateway that attached no principal, or an AuthGuard that passed without one.
    throw new ParleyError('unauthenticated', 'An access token is required', { reason: 'missing' });
  }

  private undeclared(context: ExecutionContext, transport: Transport): ParleyError {
    const principal = principalOf(context);
    logSecurityEvent(this.logger, {
      type: 'permission',
      outcome: 'denied',
      reason: 'no_requirement',
      ...(principal === undefined ? {} : { actorId: principal.userId, tenantId: principal.tenantId }),
      transport,
      handler: handlerName(context),
    });
    return new ParleyError('forbidden', 'No requirement is declared for this operation', {
      reason: 'no_requirement',
    });
  }
}

function transportOf(context: ExecutionContext): Transport {
  const type = context.getType<string>();
  if (type === 'http' || type === 'rpc' || type === 'ws') {
    return type;
  }
  throw new ParleyError('internal', `PermissionGuard does not support "${type}" handlers`);
}

function handlerName(context: ExecutionContext): string {
  return `${context.getClass().name}.${context.getHandler().name}`;
}

/** The input a resolver reads, per transport. */
function inputOf(context: ExecutionContext, transport: Transport): RequirementInput {
  switch (transport) {
    case 'http': {
      const request = context.switchToHttp().getRequest<{ params?: unknown; body?: unknown }>();
      const params = isRecord(request.params) ? request.params : {};
      const body = isRecord(request.body) ? request.body : {};
      // One value per name: a body contradicting the path could make the guard check one resource
      // while the handler acts on another.
      for (const [name, value] of Object.entries(params)) {
        if (name in body && body[name] !== value) {
          throw new ParleyError('validation_failed', `The path and the body name different ${name}`, {
            issues: [{ path: name, message: 'Differs from the path parameter' }],
          });
        }
      }
      return { ...body, ...params };
    }
    case 'rpc': {
      const data: unknown = context.switchToRpc().getData();
      return isRecord(data) ? data : {};
    }
    case 'ws': {
      const data: unknown = context.switchToWs().getData();
      return isRecord(data) ? data : {};
    }
  }
}

function resolveResource(
  resolve: ResourceResolver,
  context: ExecutionContext,
  transport: Transport,
): CheckedResource {
  const resource = resolve(inputOf(context, transport), context);
  if (resource === undefined) {
    throw new ParleyError('validation_failed', 'The request does not name the resource it acts on');
  }
  const { type, id } = parseResource(resource);
  // Only what the request can name: an owner or a tenant written by the caller proves nothing.
  return { type, id };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
