import pg from 'pg';

const timestamptz = 1184;
const postgresParser = pg.types.getTypeParser(timestamptz, 'text') as (text: string) => unknown;

/** How PostgreSQL writes a timestamptz in a UTC session with the ISO date style. */
const utcText = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00$/;

/**
 * A timestamptz as PostgreSQL writes it in a UTC session (`2026-11-22 05:55:28.12+00`), turned into
 * the text `Date.prototype.toISOString` gives for the same instant (`2026-11-22T05:55:28.120Z`:
 * milliseconds, anything finer cut off, as a Date would), without building a Date. Anything else
 * (`infinity`, a year before 1 or after 9999) is left to pg's own parser.
 */
export function isoTimestamp(text: string): unknown {
  const match = utcText.exec(text);
  if (match === null) {
    return postgresParser(text);
  }
  const fraction = match[3] ?? '';
  return `${match[1]}T${match[2]}.${fraction.padEnd(3, '0').slice(0, 3)}Z`;
}

/**
 * pg's type parsers with timestamptz read by isoTimestamp: for a pool whose rows go into JSON, not
 * into date arithmetic (`DataSourceSettings.timestampsAsText`).
 */
export const isoTimestampTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    return oid === timestamptz && format !== 'binary'
      ? isoTimestamp
      : pg.types.getTypeParser(oid, format ?? 'text');
  },
};
