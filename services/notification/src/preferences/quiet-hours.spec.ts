import { clockOf, hoursOf, isQuiet, localMinute, minuteOf, periodOf, quietEnd } from './quiet-hours.js';

describe('quiet hours', () => {
  it('convert between HH:MM and minutes', () => {
    expect(minuteOf('00:00')).toBe(0);
    expect(minuteOf('07:30')).toBe(450);
    expect(clockOf(1439)).toBe('23:59');
    expect(hoursOf(periodOf({ start: '22:00', end: '06:15', timeZone: 'Europe/Paris' }))).toEqual({
      start: '22:00',
      end: '06:15',
      timeZone: 'Europe/Paris',
    });
  });

  it('read the local time of an instant in a time zone', () => {
    const at = new Date('2026-01-15T12:34:56Z');
    expect(localMinute(at, 'UTC')).toBe(12 * 60 + 34);
    expect(localMinute(at, 'Asia/Kolkata')).toBe(18 * 60 + 4);
    expect(localMinute(new Date('2026-01-15T23:30:00Z'), 'America/New_York')).toBe(18 * 60 + 30);
  });

  it('hold the start and not the end, within a day', () => {
    const period = { startMinute: 9 * 60, endMinute: 17 * 60, timeZone: 'UTC' };
    expect(isQuiet(period, new Date('2026-01-15T08:59:00Z'))).toBe(false);
    expect(isQuiet(period, new Date('2026-01-15T09:00:00Z'))).toBe(true);
    expect(isQuiet(period, new Date('2026-01-15T16:59:59Z'))).toBe(true);
    expect(isQuiet(period, new Date('2026-01-15T17:00:00Z'))).toBe(false);
  });

  it('wrap past midnight when the end comes before the start', () => {
    const period = { startMinute: 22 * 60, endMinute: 7 * 60, timeZone: 'UTC' };
    expect(isQuiet(period, new Date('2026-01-15T23:00:00Z'))).toBe(true);
    expect(isQuiet(period, new Date('2026-01-15T03:00:00Z'))).toBe(true);
    expect(isQuiet(period, new Date('2026-01-15T07:00:00Z'))).toBe(false);
    expect(isQuiet(period, new Date('2026-01-15T12:00:00Z'))).toBe(false);
  });

  it('move an instant inside the period to its end, and leave others', () => {
    const period = { startMinute: 22 * 60, endMinute: 7 * 60, timeZone: 'Europe/Paris' };
    // 23:10:30 in Paris (UTC+1 in January) waits until 07:00 Paris, 06:00 UTC.
    expect(quietEnd(period, new Date('2026-01-15T22:10:30Z')).toISOString()).toBe('2026-01-16T06:00:00.000Z');
    const outside = new Date('2026-01-15T12:00:00Z');
    expect(quietEnd(period, outside)).toBe(outside);
    expect(quietEnd(undefined, outside)).toBe(outside);
  });
});
