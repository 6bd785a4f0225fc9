import { z } from 'zod';
import { ParleyError } from '@parley/contracts';

/** Turns a page position into the opaque cursor a client hands back for the next page. */
export function encodeCursor(position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Reads a cursor back; one that was not made by `encodeCursor` for this list is `validation_failed`. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ParleyError('validation_failed', 'Invalid cursor', {
      issues: [{ path: 'cursor', message: 'Not a cursor of this list' }],
    });
  }
  return parsed.data;
}

/** The cursor of a list ordered by a sequence number. */
export const sequenceCursor = z.object({ s: z.number().int().min(0) }).strict();
