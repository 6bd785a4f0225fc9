import { notificationLimits, ParleyError, type NotificationLimit } from '@parley/contracts';

/** Refuses a well-formed input that is too large, naming the limit (`limit_exceeded`). */
export function checkLimit(limit: NotificationLimit, value: number): void {
  const max = notificationLimits[limit];
  if (value > max) {
    throw new ParleyError('limit_exceeded', `At most ${max} (${limit})`, { limit, max, actual: value });
  }
}

/** The size in bytes of a value's JSON, as it is stored. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}
