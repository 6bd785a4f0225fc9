import { z } from 'zod';

/** Shared field shapes, so every service spells a limit the same way. */
/** A UUID, in lower case (as PostgreSQL writes it) whatever case it came in. */
export const idSchema = z.uuid().toLowerCase().describe('A UUID');

export const emailSchema = z
  .string()
  .trim()
  .max(254, 'An email address has at most 254 characters')
  .pipe(z.email('Not a valid email address'))
  .transform((value) => value.toLowerCase())
  .describe('Email address, compared case-insensitively');

export const slugSchema = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Lowercase letters, digits and single hyphens')
  .describe('URL-safe identifier');

/** A person's or thing's display name: no control characters, trimmed. */
export function displayText(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !/\p{Cc}/u.test(value), 'Control characters are not allowed');
}

export const timestampSchema = z.iso.datetime({ offset: true }).describe('ISO 8601 timestamp');

/** Keyset pagination: an opaque cursor and a bounded page size. */
export function pageRequest(defaultLimit: number, maxLimit: number) {
  return {
    limit: z.number().int().min(1).max(maxLimit).default(defaultLimit),
    cursor: z.string().max(512).optional().describe('Opaque cursor from the previous page'),
  };
}

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Cursor of the next page; null on the last page'),
  });
}
