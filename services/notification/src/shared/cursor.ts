import { z } from 'zod';
import { ParleyError } from '@parley/contracts';

/** The cursor of a list in id order: the last id of the page. */
const idCursor = z.object({ i: z.uuid() }).strict();

/** The opaque cursor a client hands back for the page after `lastId`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ i: lastId })).toString('base64url');
}

/** The last id of the previous page; a cursor not made by `encodeCursor` is `validation_failed`. */
export function decodeCursor(cursor: string): string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = idCursor.safeParse(value);
  if (!parsed.success) {
    throw new ParleyError('validation_failed', 'Invalid cursor', {
      issues: [{ path: 'cursor', message: 'Not a cursor of this list' }],
    });
  }
  return parsed.data.i;
}
