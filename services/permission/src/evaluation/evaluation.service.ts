import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ParleyError, type EffectivePermissions, type Resource, type ResourceType } from '@parley/contracts';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { CatalogRepository } from '../catalog/catalog.repository.js';
import { CLOCK, type Clock } from '../permission.options.js';
import { compileRules, evaluateCheck, type CheckAnswer } from './evaluator.js';

/** How long a catalog entry read for a check is reused. */
const catalogEntryTtlMs = 5_000;

/** Answers checks and compiles effective permissions from the database, at the clock's now. */
@Injectable()
export class EvaluationService {
  /**
   * Catalog entries (permission → resource types) of recent checks. The catalog only grows and
   * changes at services' start-up, so a check may see an entry up to 5 s old; assignments, which
   * decide the answer, are always read from the database. Inside a transaction the database is
   * read, so administrative operations see the catalog as it is.
   */
  private readonly catalogEntries = new Map<
    string,
    { resourceTypes: readonly ResourceType[]; readAt: number }
  >();

  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly catalog: CatalogRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Whether the actor holds the permission in the tenant, optionally on a resource. Only the
   * actor's assignments in this tenant are read, so nothing of another tenant can ever allow.
   */
  async check(
    tenantId: string,
    question: { actorId: string; permission: string; resource?: Resource | undefined },
    manager?: EntityManager,
  ): Promise<CheckAnswer> {
    const entry = await this.catalogEntry(question.permission, manager);
    if (entry === null) {
      return { allowed: false, reason: 'unknown_permission', assignmentId: null };
    }
    const resource = question.resource;
    if (resource !== undefined && !entry.resourceTypes.includes(resource.type)) {
      throw new ParleyError(
        'validation_failed',
        `${question.permission} is not declared for resources of type ${resource.type}`,
        { field: 'resource.type', permission: question.permission, resourceTypes: entry.resourceTypes },
      );
    }
    if (resource?.type === 'tenant' && resource.id !== tenantId) {
      return { allowed: false, reason: 'other_tenant', assignmentId: null };
    }
    const facts = await this.assignments.facts(
      manager ?? this.dataSource.manager,
      tenantId,
      question.actorId,
      {
        permission: question.permission,
        resource: resource === undefined ? null : { type: resource.type, id: resource.id },
      },
    );
    return evaluateCheck(facts, question, this.clock());
  }

  private async catalogEntry(
    permission: string,
    manager: EntityManager | undefined,
  ): Promise<{ resourceTypes: readonly ResourceType[] } | null> {
    const now = Date.now();
    const cached = manager === undefined ? this.catalogEntries.get(permission) : undefined;
    if (cached !== undefined && now - cached.readAt < catalogEntryTtlMs) {
      return cached;
    }
    const entry = await this.catalog.findPermission(manager ?? this.dataSource.manager, permission);
    if (entry !== null) {
      if (this.catalogEntries.size >= 10_000) {
        this.catalogEntries.clear();
      }
      this.catalogEntries.set(permission, { resourceTypes: entry.resourceTypes, readAt: now });
    }
    return entry;
  }

  /** The actor's effective permissions in the tenant as CASL rules, exact until `validUntil`. */
  async effective(tenantId: string, actorId: string): Promise<EffectivePermissions> {
    const now = this.clock();
    const facts = await this.assignments.facts(this.dataSource.manager, tenantId, actorId, {
      endedBefore: now,
    });
    const { rules, validUntil } = compileRules(facts, actorId, now);
    return {
      actorId,
      tenantId,
      rules,
      validUntil: validUntil.toISOString(),
      computedAt: now.toISOString(),
    };
  }
}
