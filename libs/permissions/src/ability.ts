import { createMongoAbility, subject, type MongoAbility } from '@casl/ability';
import type { CaslRule, Permission, Principal, Resource } from '@parley/contracts';

/** An actor's compiled permissions: the CASL ability of its rules, with one cheap path for tenant-wide checks. */
export class CompiledPermissions {
  private readonly ability: MongoAbility;
  private readonly tenantWide: ReadonlySet<string>;

  constructor(readonly rules: readonly CaslRule[]) {
    this.ability = createMongoAbility(rules.map((rule) => ({ ...rule })));
    this.tenantWide = new Set(
      rules
        .filter((rule) => rule.subject === 'all' && rule.conditions === undefined)
        .map((rule) => rule.action),
    );
  }

  /**
   * Whether the permission is held: without a resource only tenant-wide assignments count; with a
   * resource, tenant-wide ones and those scoped to it (or to resources the actor owns).
   */
  allows(principal: Principal, permission: Permission, resource?: Resource): boolean {
    if (resource === undefined) {
      return this.tenantWide.has(permission);
    }
    // CASL cannot tell tenants apart: a tenant resource must be the actor's own tenant.
    if (resource.type === 'tenant' && resource.id !== principal.tenantId) {
      return false;
    }
    return this.ability.can(
      permission,
      subject(resource.type, { id: resource.id, ownerId: resource.ownerId }),
    );
  }
}
