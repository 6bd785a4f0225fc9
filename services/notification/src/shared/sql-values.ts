/** A timestamptz as node-postgres hands it over from a column. */
export type SqlTimestamp = Date;

export function iso(value: SqlTimestamp): string {
  return value.toISOString();
}

export function isoOrNull(value: SqlTimestamp | null): string | null {
  return value === null ? null : iso(value);
}

/**
 * The rows an UPDATE or DELETE … RETURNING gave back: TypeORM's `query` answers those statements
 * with `[rows, affected]` (an INSERT with the rows alone).
 */
export function returnedRows<T>(result: unknown): T[] {
  return Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as T[]) : [];
}
