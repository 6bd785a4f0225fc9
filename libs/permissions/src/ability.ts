import { createMongoAbility, subject, type MongoAbility } from '@casl/ability';
import type { CaslRule, Permission, Principal } from '@parley/contracts';
import type { ResourceInput } from './requirement.js';

/** A resource as a check inside a service knows it once loaded: with its owner and tenant. */
export interface CheckedResource extends ResourceInput {
  /** The user owning the resource, for `ownedByActor` assignments. */
  readonly ownerId?: string | undefined;
  /** The resource's tenant; a resource of another tenant than the actor's is never allowed. */
  readonly tenantId?: string | undefined;
}

/** Why a check answered as it did (the values `permission.v1.permission.check` uses for them). */
export type EvaluationReason = 'assigned' | 'no_assignment' | 'other_tenant';

export interface Evaluation {
  readonly allowed: boolean;
  readonly reason: EvaluationReason;
  /** The permissions not held (every one of them when `any` is not met). */
  readonly missing: readonly Permission[];
}

/**
 * An actor's compiled permissions: the CASL ability of the rules the permission service compiled
 * for one actor in one tenant, with one cheap path for checks without a resource.
 */
export class CompiledPermissions {
  private readonly ability: MongoAbility;
  /** Permissions of rules on subject `all` without conditions: the only ones a check without resource counts. */
  private readonly tenantWide: ReadonlySet<string>;

  constructor(readonly rules: readonly CaslRule[]) {
    // CASL keeps references to the rules it is given; copies keep the caller's objects untouched.
    this.ability = createMongoAbility(rules.map((rule) => ({ ...rule })));
    this.tenantWide = new Set(
      rules
        .filter(
          (rule) =>
            rule.subject === 'all' &&
            (rule.conditions === undefined || Object.keys(rule.conditions).length === 0),
        )
        .map((rule) => rule.action),
    );
  }

  /**
   * Whether the actor holds the permission: without a resource only tenant-wide, unconditional
   * assignments count; with one, tenant-wide assignments and those scoped to it or met by its
   * owner. A resource of another tenant is never allowed.
   */
  allows(principal: Principal, permission: Permission, resource?: CheckedResource): boolean {
    if (resource === undefined) {
      return this.tenantWide.has(permission);
    }
    if (isOtherTenant(principal, resource)) {
      return false;
    }
    return this.ability.can(
      permission,
      subject(resource.type, { id: resource.id, ownerId: resource.ownerId }),
    );
  }

  /** Evaluates several permissions: all of them (AND) or any one of them. */
  evaluate(
    principal: Principal,
    permissions: readonly Permission[],
    match: 'all' | 'any',
    resource?: CheckedResource,
  ): Evaluation {
    if (resource !== undefined && isOtherTenant(principal, resource)) {
      return { allowed: false, reason: 'other_tenant', missing: [...permissions] };
    }
    const missing = permissions.filter((permission) => !this.allows(principal, permission, resource));
    const allowed =
      permissions.length > 0 &&
      (match === 'all' ? missing.length === 0 : missing.length < permissions.length);
    return allowed
      ? { allowed, reason: 'assigned', missing: [] }
      : { allowed, reason: 'no_assignment', missing };
  }
}

/** CASL cannot tell tenants apart: the guard keeps a resource to the actor's own tenant. */
function isOtherTenant(principal: Principal, resource: CheckedResource): boolean {
  if (resource.tenantId !== undefined && resource.tenantId !== principal.tenantId) {
    return true;
  }
  return resource.type === 'tenant' && resource.id !== principal.tenantId;
}
