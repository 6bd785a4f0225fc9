import { ParleyError, type ErrorCode } from '@parley/contracts';

/** The message of whatever was thrown, for logs and `details.reason`. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A ParleyError that keeps the library error behind it as `cause`, for the logs. */
export function parleyErrorFrom(
  cause: unknown,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): ParleyError {
  const error = new ParleyError(code, message, details);
  error.cause = cause;
  return error;
}
