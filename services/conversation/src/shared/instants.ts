import { ParleyError } from '@parley/contracts';

/**
 * An instant a request sets for the future (a membership's end, a mute's end): null stays null,
 * one at or before now is refused, since it would end at once.
 */
export function futureInstant(value: string | null, field: string, now: Date = new Date()): Date | null {
  if (value === null) {
    return null;
  }
  const instant = new Date(value);
  if (instant <= now) {
    throw new ParleyError('validation_failed', `${field} is already past`, {
      issues: [{ path: field, message: 'Must be in the future' }],
    });
  }
  return instant;
}
