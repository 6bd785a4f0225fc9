/**
 * Values as PostgreSQL hands them over: a timestamptz is ISO text in UTC from a plain column (the
 * service reads them so: `timestampsAsText`), or a Date where pg's own parser had to read it, and
 * ISO text with an offset from inside jsonb; a bigint is a string from a plain column and a
 * number from jsonb.
 */
export type SqlTimestamp = Date | string;
export type SqlBigint = string | number;

/** What `Date.prototype.toISOString` writes (years 0 to 9999): passed on as it is. */
const canonical = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function iso(value: SqlTimestamp): string {
  if (typeof value === 'string' && canonical.test(value)) {
    return value;
  }
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function isoOrNull(value: SqlTimestamp | null): string | null {
  return value === null ? null : iso(value);
}

export function int(value: SqlBigint): number {
  return Number(value);
}

export function intOrNull(value: SqlBigint | null): number | null {
  return value === null ? null : Number(value);
}
