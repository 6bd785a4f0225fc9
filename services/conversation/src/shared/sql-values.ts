/**
 * Values as PostgreSQL hands them over: a timestamptz is a Date from a plain column and an ISO
 * string from inside jsonb; a bigint is a string from a plain column and a number from jsonb.
 */
export type SqlTimestamp = Date | string;
export type SqlBigint = string | number;

export function iso(value: SqlTimestamp): string {
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
