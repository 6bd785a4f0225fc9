import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { ParleyError, validationError, type RequestContract } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { map, type Observable } from 'rxjs';

/**
 * Holds a request handler to its contract: the payload is parsed before the handler runs (the
 * handler receives the parsed value, defaults applied), and the result is checked against the
 * response schema. A result that fails it is our bug: the caller gets `internal`, the log the why.
 * It runs after guards, so an unauthenticated caller learns nothing about the request schema.
 */
export class ContractInterceptor implements NestInterceptor {
  private readonly log = createLogger(ContractInterceptor.name);

  constructor(private readonly contract: RequestContract) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // The same array Nest later hands to the handler (through its parameter decorators).
    const args: unknown[] = context.getArgs();
    const request = this.contract.request.safeParse(args[0]);
    if (!request.success) {
      throw validationError('request', request.error);
    }
    args[0] = request.data;
    return next.handle().pipe(map((result: unknown) => this.checkResponse(result)));
  }

  private checkResponse(result: unknown): unknown {
    const response = this.contract.response.safeParse(result);
    if (response.success) {
      // The parsed value: keys the schema does not know never leave the service.
      return response.data;
    }
    this.log.error(
      {
        subject: this.contract.subject,
        issues: response.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      },
      'Handler result does not match the response contract',
    );
    throw new ParleyError('internal', 'Internal error');
  }
}
