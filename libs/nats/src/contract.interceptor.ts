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
 * - `strict`: validated; a result that fails the schema, or that has a key the schema does not
 *   name, is our bug: the caller gets `internal`, the log the why. For development and tests, so
 *   that a test run finds every handler whose result drifts from its contract or carries an
 *   internal field.
 * - `off`: sent as the handler typed it, without the cost of walking it (about half a millisecond
 *   for a page of 50 messages). For production, whose code the tests have run under `strict`.
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
    const unnamed = unnamedKeys(result, response.data);
    if (unnamed.length > 0) {
      this.refuse(
        contract,
        'Handler result has keys its response contract does not name',
        unnamed.map((path) => ({ path, message: 'Not in the contract' })),
      );
    }
    return response.data;
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

/**
 * The paths (`items.0.secret`) of the keys of `given` that its parsed value `parsed` lost: the
 * keys the schema does not name. A key whose value is undefined is absent from JSON anyway.
 */
export function unnamedKeys(given: unknown, parsed: unknown, path: readonly string[] = []): string[] {
  if (Array.isArray(given) && Array.isArray(parsed)) {
    return given.flatMap((item, index) => unnamedKeys(item, parsed[index], [...path, String(index)]));
  }
  if (!isPlainObject(given) || !isPlainObject(parsed)) {
    return [];
  }
  return Object.entries(given).flatMap(([key, value]) => {
    if (value === undefined) {
      return [];
    }
    const at = [...path, key];
    return Object.hasOwn(parsed, key) ? unnamedKeys(value, parsed[key], at) : [at.join('.')];
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
