import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ParleyError, type Principal } from '@parley/contracts';
import { principalOf } from './principal-store.js';

/** The principal of a verified request; throws `unauthenticated` when none was verified. */
export function actorOf(context: ExecutionContext): Principal {
  const principal = principalOf(context);
  if (principal === undefined) {
    // The handler lacks AuthGuard: refuse rather than run without an actor.
    throw new ParleyError('unauthenticated', 'An access token is required', { reason: 'missing' });
  }
  return principal;
}

/**
 * The verified `Principal` of the caller, for HTTP and NATS handlers guarded by `AuthGuard`:
 * `handle(@Actor() actor: Principal, @Payload() request: …)`.
 */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): Principal =>
  actorOf(context),
);
