import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/contracts';

/** PostgreSQL truncates identifiers longer than this many bytes. */
export const maxIdentifierBytes = 63;

const snakeCase = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Lowercase ASCII snake_case, the only spelling of a name in Parley's SQL. */
export function isSnakeCase(name: string): boolean {
  return snakeCase.test(name);
}

/**
 * A schema or login name we are about to splice into SQL: snake_case and short enough that
 * PostgreSQL keeps it as written. Anything else is refused, never quoted into shape.
 */
export function checkIdentifier(kind: string, name: string): string {
  if (!isSnakeCase(name) || Buffer.byteLength(name) > maxIdentifierBytes) {
    throw new ParleyError(
      'validation_failed',
      `Invalid ${kind} name "${name}": lowercase snake_case of at most 63 bytes expected`,
      {
        [kind]: name,
      },
    );
  }
  return name;
}

/** Double-quotes an identifier (already checked, so this only guards against reserved words). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The name to use for a constraint, index or trigger whose conventional name is `full`: `full`
 * itself when it fits in 63 bytes, otherwise its first 54 bytes, `_` and 8 hex digits of its MD5
 * (docs/00010-conventions-sql.md, section 3). Deterministic, so the checker can recompute it.
 */
export function conventionalName(full: string): string {
  if (Buffer.byteLength(full) <= maxIdentifierBytes) {
    return full;
  }
  const digest = createHash('md5').update(full).digest('hex').slice(0, 8);
  return `${Buffer.from(full).subarray(0, 54).toString()}_${digest}`;
}
