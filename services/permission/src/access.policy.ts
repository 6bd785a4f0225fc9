import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ParleyError, type permissionCatalog, type Principal } from '@parley/contracts';
import { EvaluationService } from './evaluation/evaluation.service.js';

/** A permission of the permission service's own catalog. */
export type OwnPermission = (typeof permissionCatalog.permissions)[number]['permission'];

/**
 * Who may use the permission service's own operations: decided by the service's own evaluation,
 * from its own database, in the caller's tenant and tenant-wide.
 */
@Injectable()
export class AccessPolicy {
  constructor(private readonly evaluation: EvaluationService) {}

  /** Throws `forbidden` unless the actor holds the permission tenant-wide in its own tenant. */
  async require(actor: Principal, permission: OwnPermission, manager?: EntityManager): Promise<void> {
    const answer = await this.evaluation.check(
      actor.tenantId,
      { actorId: actor.userId, permission },
      manager,
    );
    if (!answer.allowed) {
      throw new ParleyError('forbidden', `This needs the permission ${permission}`, { permission });
    }
  }

  /** Reading about oneself is always allowed; about another actor it needs permission:permission:check. */
  async requireSelfOrCheck(actor: Principal, actorId: string): Promise<void> {
    if (actorId !== actor.userId) {
      await this.require(actor, 'permission:permission:check');
    }
  }
}
