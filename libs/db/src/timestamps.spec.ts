import pg from 'pg';
import { isoTimestamp, isoTimestampTypes } from './timestamps.js';

const postgres = pg.types.getTypeParser(1184, 'text') as (text: string) => Date;

describe('isoTimestamp', () => {
  it('writes what toISOString writes for the same instant, whatever the fraction', () => {
    const texts = [
      '2026-11-22 05:55:28+00',
      '2026-11-22 05:55:28.1+00',
      '2026-11-22 05:55:28.12+00',
      '2026-11-22 05:55:28.123+00',
      '2026-11-22 05:55:28.1239+00',
      '2026-11-22 05:55:28.999999+00',
      '0001-01-01 00:00:00+00',
      '9999-12-31 23:59:59.5+00',
      '2024-02-29 12:00:00.05+00',
    ];
    for (const text of texts) {
      expect(isoTimestamp(text)).toBe(postgres(text).toISOString());
    }
  });

  it('agrees with pg and toISOString on many instants', () => {
    let state = 7;
    const next = () => (state = (state * 48_271) % 2_147_483_647);
    for (let index = 0; index < 2000; index += 1) {
      const instant = new Date(Date.UTC(1970 + (next() % 100), 0, 1) + (next() % 31_536_000) * 1000);
      const micros = String(next() % 1_000_000)
        .padStart(6, '0')
        .replace(/0+$/, '');
      const text = `${instant.toISOString().slice(0, 19).replace('T', ' ')}${micros === '' ? '' : `.${micros}`}+00`;
      expect(isoTimestamp(text)).toBe(postgres(text).toISOString());
    }
  });

  it("leaves anything else to pg's parser", () => {
    expect(isoTimestamp('infinity')).toBe(postgres('infinity'));
    expect(isoTimestamp('0044-03-15 12:00:00+00 BC')).toEqual(postgres('0044-03-15 12:00:00+00 BC'));
    expect(isoTimestamp('2026-11-22 07:55:28.5+02')).toEqual(new Date('2026-11-22T05:55:28.500Z'));
  });
});

describe('isoTimestampTypes', () => {
  it('reads timestamptz text with isoTimestamp and every other type as pg does', () => {
    expect(isoTimestampTypes.getTypeParser(1184, 'text')).toBe(isoTimestamp);
    expect(isoTimestampTypes.getTypeParser(1184)).toBe(isoTimestamp);
    expect(isoTimestampTypes.getTypeParser(1184, 'binary')).toBe(pg.types.getTypeParser(1184, 'binary'));
    expect(isoTimestampTypes.getTypeParser(20, 'text')).toBe(pg.types.getTypeParser(20, 'text'));
  });
});
