import {
  Inject,
  Injectable,
  Optional,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResponseValidation } from '@parley/config';
import { ParleyError, validationError, type RequestContract } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { map, type Observable } from 'rxjs';

/** Metadata key under which @RequestHandler records the contract a handler serves. */
export const REQUEST_CONTRACT = 'parley:request-contract';

/**
 * Injection token of how results are held to the response contract (`RESPONSE_VALIDATION`;
 * NatsModule provides it, `strict` without):
 *
 * - `strict`: validated; a result the schema would change (one that fails it, has a key it does
 *   not name, or relies on a default or a transform) is our bug: the caller gets `internal`, the
 *   log the why. For development and tests, which so find such a result on every path they run.
 * - `off`: sent as the handler returned it, without the cost of walking it (about half a
 *   millisecond for a page of 50 messages). For production; a path no test runs is not checked.
 */
export const RESPONSE_VALIDATION = Symbol('RESPONSE_VALIDATION');

/**
 * Holds a request handler to its contract: the payload is parsed before the handler runs (the
 * handler receives the parsed value, defaults applied), and the result is validated as
 * `RESPONSE_VALIDATION` says. It runs after guards, so an unauthenticated caller learns nothing
 * about the request schema.
 */
@Injectable()
export class ContractInterceptor implements NestInterceptor {
  private readonly log = createLogger(ContractInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    @Optional() @Inject(RESPONSE_VALIDATION) private readonly responses: ResponseValidation = 'strict',
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Set by @RequestHandler, the only place this interceptor is applied.
    const contract = this.reflector.get<RequestContract>(REQUEST_CONTRACT, context.getHandler());
    // The same array Nest later hands to the handler (through its parameter decorators).
    const args: unknown[] = context.getArgs();
    const request = contract.request.safeParse(args[0]);
    if (!request.success) {
      throw validationError('request', request.error);
    }
    args[0] = request.data;
    return this.responses === 'off'
      ? next.handle()
      : next.handle().pipe(map((result: unknown) => this.validateResponse(contract, result)));
  }

  private validateResponse(contract: RequestContract, result: unknown): unknown {
    const response = contract.response.safeParse(result);
    if (!response.success) {
      this.refuse(
        contract,
        'Handler result does not match the response contract',
        response.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      );
    }
    const drift = contractDrift(result, response.data);
    if (drift.length > 0) {
      this.refuse(contract, 'Handler result is not what its response contract makes of it', drift);
    }
    // The result itself, as `off` sends it: tests see the bytes production sends.
    return result;
  }

  private refuse(
    contract: RequestContract,
    message: string,
    issues: Array<{ path: string; message: string }>,
  ): never {
    this.log.error({ subject: contract.subject, issues }, message);
    throw new ParleyError('internal', 'Internal error');
  }
}

/** Where and how a result differs from what its response schema makes of it. */
export interface Drift {
  path: string;
  message: 'Not in the contract' | 'Filled in by the contract' | 'Changed by the contract';
}

/**
 * How `parsed`, the value a response schema made of `given`, differs from it: keys the schema
 * does not name (dropped), keys it filled in (defaults), values it changed (transforms). Any of
 * these means the handler does not send what the contract says; empty when it does. Objects of any
 * class are compared by their own keys (a schema takes an entity's columns as an object's); a key
 * whose value is undefined is absent, as in JSON.
 */
export function contractDrift(given: unknown, parsed: unknown, path: readonly string[] = []): Drift[] {
  const at = (key?: string) => [...path, ...(key === undefined ? [] : [key])].join('.');
  if (Array.isArray(given) && Array.isArray(parsed)) {
    return given.flatMap((item, index) => contractDrift(item, parsed[index], [...path, String(index)]));
  }
  if (isRecord(given) && isRecord(parsed)) {
    const dropped = Object.entries(given).flatMap(([key, value]): Drift[] => {
      if (value === undefined) {
        return [];
      }
      return Object.hasOwn(parsed, key)
        ? contractDrift(value, parsed[key], [...path, key])
        : [{ path: at(key), message: 'Not in the contract' }];
    });
    const filled = Object.entries(parsed)
      .filter(([key, value]) => value !== undefined && given[key] === undefined)
      .map(([key]): Drift => ({ path: at(key), message: 'Filled in by the contract' }));
    return [...dropped, ...filled];
  }
  if (given instanceof Date && parsed instanceof Date && given.getTime() === parsed.getTime()) {
    return [];
  }
  return Object.is(given, parsed) ? [] : [{ path: at(), message: 'Changed by the contract' }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
