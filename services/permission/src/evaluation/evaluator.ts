import type { CaslRule, CheckReason, Conditions, Resource, ResourceType } from '@parley/contracts';
import { isTimeWindowOpen, nextTimeWindowEdge } from './time-window.js';

/** What the evaluation needs of one live assignment: the permissions it reaches and its limits. */
export interface AssignmentFacts {
  id: string;
  /** The assigned permission, or the permissions of the assigned permission set. */
  permissions: readonly string[];
  resource: { type: ResourceType; id: string } | null;
  startsAt: Date | null;
  expiresAt: Date | null;
  conditions: Conditions;
}

export interface CheckQuestion {
  actorId: string;
  permission: string;
  resource?: Resource | undefined;
}

export interface CheckAnswer {
  allowed: boolean;
  reason: CheckReason;
  assignmentId: string | null;
}

/** How one assignment stands towards one question. */
type AssignmentState = 'holds' | 'out_of_scope' | 'not_yet_valid' | 'expired' | 'condition_not_met';

/** Longest time compiled rules are trusted, even when nothing is due to change. */
export const maxRulesLifetimeMs = 5 * 60_000;

/** Whether the assignment counts at `now` as far as time goes: validity and time window. */
function stateInTime(facts: AssignmentFacts, now: Date): AssignmentState {
  if (facts.startsAt !== null && now < facts.startsAt) {
    return 'not_yet_valid';
  }
  if (facts.expiresAt !== null && now >= facts.expiresAt) {
    return 'expired';
  }
  const window = facts.conditions.timeWindow;
  if (window !== undefined && !isTimeWindowOpen(window, now)) {
    return 'condition_not_met';
  }
  return 'holds';
}

function stateFor(facts: AssignmentFacts, question: CheckQuestion, now: Date): AssignmentState {
  if (!facts.permissions.includes(question.permission)) {
    return 'out_of_scope';
  }
  // A tenant-wide assignment covers every resource and the tenant itself; a scoped one, its resource.
  if (
    facts.resource !== null &&
    (question.resource === undefined ||
      question.resource.type !== facts.resource.type ||
      question.resource.id !== facts.resource.id)
  ) {
    return 'out_of_scope';
  }
  const inTime = stateInTime(facts, now);
  if (inTime !== 'holds') {
    return inTime;
  }
  if (facts.conditions.ownedByActor === true && question.resource?.ownerId !== question.actorId) {
    return 'condition_not_met';
  }
  return 'holds';
}

// When nothing holds, the answer names the assignment that came closest.
const nearMisses = [
  'condition_not_met',
  'not_yet_valid',
  'expired',
] as const satisfies readonly AssignmentState[];

/**
 * Evaluates a check against the actor's live assignments in the tenant: default deny, exact
 * matching, any one assignment that holds allows (the earliest, for a stable answer).
 */
export function evaluateCheck(
  assignments: readonly AssignmentFacts[],
  question: CheckQuestion,
  now: Date,
): CheckAnswer {
  const states = [...assignments]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((facts) => ({ id: facts.id, state: stateFor(facts, question, now) }));
  const holding = states.find((entry) => entry.state === 'holds');
  if (holding !== undefined) {
    return { allowed: true, reason: 'assigned', assignmentId: holding.id };
  }
  const miss = nearMisses.find((state) => states.some((entry) => entry.state === state));
  return {
    allowed: false,
    reason: miss ?? 'no_assignment',
    assignmentId: null,
  };
}

export interface CompiledRules {
  rules: CaslRule[];
  /** The rules are exact until then. */
  validUntil: Date;
}

/**
 * Compiles the assignments that hold at `now` into CASL rules: one rule per permission reached,
 * on the resource type (`all` when tenant-wide), with `{ id }` for a scoped assignment and
 * `{ ownerId }` for ownership. `validUntil` is the first instant at which the holding set may
 * change (a start, an end, a time-window edge), at most `maxRulesLifetimeMs` ahead.
 */
export function compileRules(
  assignments: readonly AssignmentFacts[],
  actorId: string,
  now: Date,
): CompiledRules {
  const cap = new Date(now.getTime() + maxRulesLifetimeMs);
  let validUntil = cap;
  const earlier = (candidate: Date | null | undefined): void => {
    if (candidate && candidate > now && candidate < validUntil) {
      validUntil = candidate;
    }
  };
  const rules = new Map<string, CaslRule>();
  for (const facts of assignments) {
    earlier(facts.startsAt);
    earlier(facts.expiresAt);
    const window = facts.conditions.timeWindow;
    if (window !== undefined) {
      earlier(nextTimeWindowEdge(window, now, validUntil));
    }
    if (stateInTime(facts, now) !== 'holds') {
      continue;
    }
    const conditions: Record<string, unknown> = {};
    if (facts.resource !== null) {
      conditions['id'] = facts.resource.id;
    }
    if (facts.conditions.ownedByActor === true) {
      conditions['ownerId'] = actorId;
    }
    for (const permission of facts.permissions) {
      const rule: CaslRule = {
        action: permission,
        subject: facts.resource?.type ?? 'all',
        ...(Object.keys(conditions).length === 0 ? {} : { conditions: { ...conditions } }),
      };
      rules.set(JSON.stringify(rule), rule);
    }
  }
  return { rules: [...rules.values()], validUntil };
}
