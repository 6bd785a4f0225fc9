import { Injectable } from '@nestjs/common';
import type {
  EffectivePermissions,
  ParsedRequestOf,
  permissionRequests,
  Principal,
  ResponseOf,
} from '@parley/contracts';
import { AccessPolicy } from '../access.policy.js';
import { EvaluationService } from './evaluation.service.js';

type Check = ParsedRequestOf<typeof permissionRequests.check>;
type CheckResult = ResponseOf<typeof permissionRequests.check>;

/** Checks and effective permissions as callers ask for them: in the caller's tenant. */
@Injectable()
export class ChecksService {
  constructor(
    private readonly evaluation: EvaluationService,
    private readonly policy: AccessPolicy,
  ) {}

  async check(actor: Principal, request: Check): Promise<CheckResult> {
    await this.policy.requireSelfOrCheck(actor, request.actorId);
    return this.evaluation.check(actor.tenantId, request);
  }

  async effective(actor: Principal, actorId: string): Promise<EffectivePermissions> {
    await this.policy.requireSelfOrCheck(actor, actorId);
    return this.evaluation.effective(actor.tenantId, actorId);
  }
}
