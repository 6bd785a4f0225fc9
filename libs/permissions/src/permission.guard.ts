import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NatsContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import { headerNames, ParleyError, type Permission, type Principal, type Resource } from '@parley/contracts';
import { AuthGuard, principalOf } from '@parley/auth';
import { createLogger, logSecurityEvent } from '@parley/logging';
import { AbilityCache } from './ability.cache.js';
import { REQUIREMENT, type Requirement, type ResourceResolver } from './requirement.js';

/**
 * Enforces the declared requirement of every handler (HTTP and NATS), locally, from the actor's
 * cached compiled permissions. Registered globally by PermissionsModule, so a handler without a
 * declaration is refused rather than open. It verifies the token itself when it runs before the
 * handler's own AuthGuard (global guards run first).
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  private readonly logger = createLogger(PermissionGuard.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthGuard,
    private readonly cache: AbilityCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<Requirement | undefined>(REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (requirement?.kind === 'public') {
      return true;
    }
    const principal = principalOf(context) ?? (await this.authenticate(context));
    if (requirement === undefined) {
      throw this.deny(principal, [], 'no requirement declared');
    }
    if (requirement.kind === 'authenticated') {
      return true;
    }
    const resource = requirement.resource ? resourceOf(requirement.resource, context) : undefined;
    const permissions = await this.cache.permissionsOf(principal, tokenOf(context) ?? '');
    const missing = requirement.permissions.filter(
      (permission) => !permissions.allows(principal, permission, resource),
    );
    const allowed =
      requirement.match === 'all' ? missing.length === 0 : missing.length < requirement.permissions.length;
    if (!allowed) {
      throw this.deny(principal, missing, 'no assignment holds', resource);
    }
    return true;
  }

  private async authenticate(context: ExecutionContext): Promise<Principal> {
    await this.auth.canActivate(context);
    const principal = principalOf(context);
    /* c8 ignore next 3 -- AuthGuard either attaches a principal or throws */
    if (!principal) {
      throw new ParleyError('unauthenticated', 'An access token is required');
    }
    return principal;
  }

  private deny(
    principal: Principal,
    missing: Permission[],
    reason: string,
    resource?: Resource,
  ): ParleyError {
    logSecurityEvent(this.logger, {
      type: 'permission',
      outcome: 'denied',
      reason,
      actorId: principal.userId,
      tenantId: principal.tenantId,
      requirement: missing,
      ...(resource ? { resource: `${resource.type}:${resource.id}` } : {}),
    });
    return new ParleyError(
      'forbidden',
      missing.length > 0
        ? `Missing permission: ${missing.join(', ')}`
        : 'This operation declares no requirement',
      missing.length > 0 ? { missing } : { reason: 'no_requirement' },
    );
  }
}

function inputOf(context: ExecutionContext): Record<string, unknown> {
  if (context.getType() === 'http') {
    const request = context.switchToHttp().getRequest<{ params?: object; body?: unknown }>();
    return { ...(request.params ?? {}), ...(isRecord(request.body) ? request.body : {}) };
  }
  const data: unknown = context.switchToRpc().getData();
  return isRecord(data) ? data : {};
}

function resourceOf(resolve: ResourceResolver, context: ExecutionContext): Resource {
  const resource = resolve(inputOf(context));
  if (resource === undefined) {
    throw new ParleyError('validation_failed', 'The request does not name the resource it acts on');
  }
  return resource;
}

function tokenOf(context: ExecutionContext): string | undefined {
  let header: unknown;
  if (context.getType() === 'http') {
    header = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers[
      'authorization'
    ];
  } else {
    const headers = context.switchToRpc().getContext<NatsContext>().getHeaders() as MsgHdrs | undefined;
    header = headers?.get(headerNames.authorization);
  }
  return typeof header === 'string' ? /^Bearer +(\S+)/i.exec(header)?.[1] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
