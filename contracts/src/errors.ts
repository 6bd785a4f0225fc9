import { z } from 'zod';

/**
 * Stable error codes shared by every transport. Clients branch on these, never on messages.
 * Lowercase snake_case, like every other enumerated value in Parley.
 */
export const errorCodes = [
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'limit_exceeded',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const errorEnvelopeSchema = z
  .object({
    code: z.enum(errorCodes).describe('Stable machine-readable error code'),
    message: z.string().describe('Human-readable message, safe to show to the caller'),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Structured details, e.g. the failing fields'),
  })
  .describe('The one error envelope of every Parley reply');
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/** A reply on any request subject: either the response or the error envelope. */
export const replyEnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: errorEnvelopeSchema }),
]);
export type ReplyEnvelope<T> = { ok: true; data: T } | { ok: false; error: ErrorEnvelope };

/** HTTP status for each code, used by the HTTP exception filter and by clients mapping back. */
export const httpStatusOf: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  limit_exceeded: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * The error every layer throws on purpose. `message` is what the caller sees; anything internal
 * belongs in the log, not here.
 */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toEnvelope(): ErrorEnvelope {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromEnvelope(envelope: ErrorEnvelope): ParleyError {
    return new ParleyError(envelope.code, envelope.message, envelope.details);
  }
}

/** Turns zod issues into the `details` of a validation_failed error. */
export function validationError(what: string, error: z.ZodError): ParleyError {
  return new ParleyError('validation_failed', `Invalid ${what}`, {
    issues: error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  });
}
