import { applyDecorators, SetMetadata, UseFilters, UseInterceptors } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { MessagePattern } from '@nestjs/microservices';
import { AuthGuard } from '@parley/auth';
import type { RequestContract } from '@parley/contracts';
import { ContractInterceptor, REQUEST_CONTRACT } from './contract.interceptor.js';
import { NatsExceptionFilter } from './nats-exception.filter.js';

/**
 * Serves a request contract: subscribes its canonical subject, validates the payload (and the
 * result, as `RESPONSE_VALIDATION` says) against the contract, maps errors to the reply envelope and, for
 * `authentication: 'actor'`, verifies the access token before anything else runs.
 */
export function RequestHandler(contract: RequestContract): MethodDecorator {
  const decorators = [
    MessagePattern(contract.subject),
    UseFilters(new NatsExceptionFilter()),
    SetMetadata(REQUEST_CONTRACT, contract),
    UseInterceptors(ContractInterceptor),
  ];
  if (contract.authentication === 'actor') {
    decorators.push(authenticateFirst);
  }
  return applyDecorators(...decorators);
}

/** Puts AuthGuard before any guard of the method, whatever the decorator order. */
const authenticateFirst: MethodDecorator = (_target, _key, descriptor) => {
  // MessagePattern, applied before, has already refused anything but a method.
  const handler = descriptor.value as object;
  const guards: unknown = Reflect.getMetadata(GUARDS_METADATA, handler);
  const existing = Array.isArray(guards) ? (guards as unknown[]) : [];
  Reflect.defineMetadata(
    GUARDS_METADATA,
    [AuthGuard, ...existing.filter((guard) => guard !== AuthGuard)],
    handler,
  );
};
