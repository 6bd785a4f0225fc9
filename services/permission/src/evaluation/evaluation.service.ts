import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ParleyError, type EffectivePermissions, type Resource } from '@parley/contracts';
import { AssignmentsRepository } from '../assignments/assignments.repository.js';
import { CatalogRepository } from '../catalog/catalog.repository.js';
import { CLOCK, type Clock } from '../permission.options.js';
import { compileRules, evaluateCheck, type CheckAnswer } from './evaluator.js';

/** Answers checks and compiles effective permissions from the database, at the clock's now. */
@Injectable()
export class EvaluationService {
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
    manager: EntityManager = this.dataSource.manager,
  ): Promise<CheckAnswer> {
    const entry = await this.catalog.findPermission(manager, question.permission);
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
    const facts = await this.assignments.facts(manager, tenantId, question.actorId, {
      permission: question.permission,
      resource: resource === undefined ? null : { type: resource.type, id: resource.id },
    });
    return evaluateCheck(facts, question, this.clock());
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
