import { Injectable } from '@nestjs/common';
import {
  idSchema,
  ParleyError,
  resourceSchema,
  validationError,
  type Permission,
  type Principal,
} from '@parley/contracts';
import { createLogger, logSecurityEvent, type SecurityEventLogger } from '@parley/logging';
import type { CheckedResource, Evaluation } from './ability.js';
import { AbilityCache } from './ability.cache.js';
import { accessTokenFor } from './access-token.js';
import { checkedPermissions } from './requirement.js';

/** What a check inside a service asks: one permission, all of several, or one of several. */
export type PermissionRequirement =
  Permission | readonly Permission[] | { readonly anyOf: readonly Permission[] };

export interface CheckOptions {
  /**
   * The actor's access token, used on a cache miss. When omitted, the token PermissionGuard saw
   * with this very principal object (the one `@Actor()` returns) is used.
   */
  token?: string;
}

/** A requirement as `@RequirePermissions` records it. */
export interface DeclaredRequirement {
  readonly permissions: readonly Permission[];
  readonly match: 'all' | 'any';
}

const checkedResourceSchema = resourceSchema.extend({ tenantId: idSchema.optional() });

/**
 * Checks inside a service, for when the resource is only known after loading it (its owner, its
 * tenant): the same compiled permissions and the same rules as PermissionGuard.
 *
 *   const file = await this.files.get(actor.tenantId, request.fileId);
 *   await this.permissions.require(actor, 'file:file:delete', {
 *     type: 'file', id: file.id, ownerId: file.ownerId, tenantId: file.tenantId,
 *   });
 */
@Injectable()
export class PermissionChecker {
  private readonly logger = createLogger(PermissionChecker.name);

  constructor(private readonly cache: AbilityCache) {}

  /** Whether the actor holds the permission (on the resource, when given). */
  async can(
    principal: Principal,
    permission: Permission,
    resource?: CheckedResource,
    options: CheckOptions = {},
  ): Promise<boolean> {
    return (await this.evaluate(principal, permission, resource, options)).allowed;
  }

  /** The answer with its reason and the permissions not held. */
  async evaluate(
    principal: Principal,
    requirement: PermissionRequirement,
    resource?: CheckedResource,
    options: CheckOptions = {},
  ): Promise<Evaluation> {
    return this.evaluateDeclared(principal, normalize(requirement), checkResource(resource), options);
  }

  /** Throws `forbidden` (and logs the denial as a security event) unless the requirement is met. */
  async require(
    principal: Principal,
    requirement: PermissionRequirement,
    resource?: CheckedResource,
    options: CheckOptions = {},
  ): Promise<void> {
    const normalized = normalize(requirement);
    const checked = checkResource(resource);
    const evaluation = await this.evaluateDeclared(principal, normalized, checked, options);
    if (!evaluation.allowed) {
      throw refusal(this.logger, principal, normalized, evaluation, checked, { by: 'checker' });
    }
  }

  /**
   * PermissionGuard's path: permissions checked when they were declared, a resource already parsed.
   * Elsewhere use `evaluate`, which checks both.
   */
  async evaluateDeclared(
    principal: Principal,
    requirement: DeclaredRequirement,
    resource: CheckedResource | undefined,
    options: CheckOptions,
  ): Promise<Evaluation> {
    const compiled = await this.cache.permissionsOf(principal, options.token ?? accessTokenFor(principal));
    return compiled.evaluate(principal, requirement.permissions, requirement.match, resource);
  }
}

function normalize(requirement: PermissionRequirement): DeclaredRequirement {
  if (typeof requirement === 'string') {
    return { permissions: checkedPermissions([requirement], 'A check'), match: 'all' };
  }
  if (isAnyOf(requirement)) {
    return { permissions: checkedPermissions(requirement.anyOf, 'A check (anyOf)'), match: 'any' };
  }
  return { permissions: checkedPermissions(requirement, 'A check'), match: 'all' };
}

function isAnyOf(
  requirement: PermissionRequirement,
): requirement is { readonly anyOf: readonly Permission[] } {
  return !Array.isArray(requirement) && typeof requirement === 'object';
}

/** A resource must be well formed before anything is decided about it. */
export function parseResource(resource: CheckedResource): CheckedResource {
  const parsed = checkedResourceSchema.safeParse(resource);
  if (!parsed.success) {
    throw validationError('resource', parsed.error);
  }
  return parsed.data;
}

function checkResource(resource: CheckedResource | undefined): CheckedResource | undefined {
  return resource === undefined ? undefined : parseResource(resource);
}

/** Logs a denial as a security event and builds the `forbidden` error naming what is missing. */
export function refusal(
  logger: SecurityEventLogger,
  principal: Principal,
  requirement: DeclaredRequirement,
  evaluation: Evaluation,
  resource: CheckedResource | undefined,
  context: Record<string, unknown>,
): ParleyError {
  logSecurityEvent(logger, {
    ...context,
    type: 'permission',
    outcome: 'denied',
    reason: evaluation.reason,
    actorId: principal.userId,
    tenantId: principal.tenantId,
    requirement: requirement.permissions,
    match: requirement.match,
    missing: evaluation.missing,
    ...(resource === undefined ? {} : { resource: `${resource.type}:${resource.id}` }),
  });
  const message =
    evaluation.reason === 'other_tenant'
      ? 'The resource belongs to another tenant'
      : requirement.match === 'any'
        ? `This needs one of the permissions ${evaluation.missing.join(', ')}`
        : `Missing permission${evaluation.missing.length > 1 ? 's' : ''}: ${evaluation.missing.join(', ')}`;
  return new ParleyError('forbidden', message, {
    reason: evaluation.reason,
    missing: [...evaluation.missing],
    match: requirement.match,
    ...(resource === undefined ? {} : { resource: { type: resource.type, id: resource.id } }),
  });
}
