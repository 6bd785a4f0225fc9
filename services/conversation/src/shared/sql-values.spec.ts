import { int, intOrNull, iso, isoOrNull } from './sql-values.js';

describe('sql values', () => {
  it('passes ISO text in UTC on as it is, and writes any other timestamp as toISOString does', () => {
    const canonical = '2026-11-22T05:55:28.120Z';
    expect(iso(canonical)).toBe(canonical);
    // From inside jsonb: an offset and the fraction PostgreSQL kept.
    expect(iso('2026-11-22T07:55:28.12+02:00')).toBe(canonical);
    expect(iso(new Date(canonical))).toBe(canonical);
    expect(isoOrNull(null)).toBeNull();
    expect(isoOrNull('2026-11-22T05:55:28.1Z')).toBe('2026-11-22T05:55:28.100Z');
  });

  it('reads bigints from text or numbers', () => {
    expect(int('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(int(12)).toBe(12);
    expect(intOrNull(null)).toBeNull();
    expect(intOrNull('3')).toBe(3);
  });
});
