import { Injectable, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { validationError } from '@parley/contracts';

/** Validates an HTTP body (or query) with a contract schema; the handler receives the parsed value. */
@Injectable()
export class ContractPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request body',
  ) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value ?? {});
    if (!result.success) {
      throw validationError(this.what, result.error);
    }
    return result.data;
  }
}
