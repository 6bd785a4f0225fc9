import { thrownBy } from '@parley/testing';
import {
  checkTimeWindow,
  isTimeWindowOpen,
  localTime,
  nextTimeWindowEdge,
  type TimeWindow,
} from './time-window.js';

const at = (iso: string) => new Date(iso);

describe('localTime', () => {
  it('reads weekday and minute in the time zone, across the date line and DST', () => {
    // 2031-01-05 is a Sunday.
    expect(localTime(at('2031-01-05T23:30:00Z'), 'UTC')).toEqual({ weekday: 7, minute: 23 * 60 + 30 });
    expect(localTime(at('2031-01-05T23:30:00Z'), 'Asia/Tokyo')).toEqual({ weekday: 1, minute: 8 * 60 + 30 });
    expect(localTime(at('2031-07-07T00:15:00Z'), 'America/New_York')).toEqual({
      weekday: 7,
      minute: 20 * 60 + 15,
    });
    expect(localTime(at('2031-01-07T00:15:00Z'), 'America/New_York')).toEqual({
      weekday: 1,
      minute: 19 * 60 + 15,
    });
    expect(localTime(at('2031-01-06T00:00:00Z'), 'Asia/Kolkata')).toEqual({
      weekday: 1,
      minute: 5 * 60 + 30,
    });
  });
});

describe('isTimeWindowOpen', () => {
  const office: TimeWindow = { start: '08:00', end: '16:00', timeZone: 'UTC', days: [1, 2, 3, 4, 5] };

  it.each([
    ['2031-01-06T07:59:59Z', false],
    ['2031-01-06T08:00:00Z', true],
    ['2031-01-06T15:59:59Z', true],
    ['2031-01-06T16:00:00Z', false],
    ['2031-01-11T10:00:00Z', false], // Saturday
  ])('an office-hours window at %s is %s', (instant, open) => {
    expect(isTimeWindowOpen(office, at(instant))).toBe(open);
  });

  it('is open every day without days, and wraps a Sunday night into Monday', () => {
    const night: TimeWindow = { start: '22:00', end: '02:00', timeZone: 'UTC' };
    expect(isTimeWindowOpen(night, at('2031-01-05T23:00:00Z'))).toBe(true);
    expect(isTimeWindowOpen(night, at('2031-01-06T01:00:00Z'))).toBe(true);
    expect(isTimeWindowOpen(night, at('2031-01-06T03:00:00Z'))).toBe(false);
    const sundayNight: TimeWindow = { ...night, days: [7] };
    expect(isTimeWindowOpen(sundayNight, at('2031-01-06T01:00:00Z'))).toBe(true); // Monday, Sunday's window
    expect(isTimeWindowOpen(sundayNight, at('2031-01-07T01:00:00Z'))).toBe(false); // Tuesday
    expect(isTimeWindowOpen(sundayNight, at('2031-01-05T01:00:00Z'))).toBe(false); // Sunday, Saturday's
  });

  it('is never open when start equals end', () => {
    expect(
      isTimeWindowOpen({ start: '08:00', end: '08:00', timeZone: 'UTC' }, at('2031-01-06T08:00:00Z')),
    ).toBe(false);
  });

  it('follows the time zone', () => {
    const berlinMorning: TimeWindow = { start: '09:00', end: '10:00', timeZone: 'Europe/Berlin' };
    expect(isTimeWindowOpen(berlinMorning, at('2031-01-06T08:30:00Z'))).toBe(true); // UTC+1
    expect(isTimeWindowOpen(berlinMorning, at('2031-07-07T08:30:00Z'))).toBe(false); // UTC+2
    expect(isTimeWindowOpen(berlinMorning, at('2031-07-07T07:30:00Z'))).toBe(true);
  });
});

describe('nextTimeWindowEdge', () => {
  const window: TimeWindow = { start: '08:00', end: '16:00', timeZone: 'UTC' };

  it('finds the next opening or closing minute before the limit', () => {
    expect(nextTimeWindowEdge(window, at('2031-01-06T07:57:30Z'), at('2031-01-06T08:02:30Z'))).toEqual(
      at('2031-01-06T08:00:00Z'),
    );
    expect(nextTimeWindowEdge(window, at('2031-01-06T15:59:00Z'), at('2031-01-06T16:04:00Z'))).toEqual(
      at('2031-01-06T16:00:00Z'),
    );
  });

  it('finds nothing when no edge comes before the limit', () => {
    expect(
      nextTimeWindowEdge(window, at('2031-01-06T10:00:00Z'), at('2031-01-06T10:05:00Z')),
    ).toBeUndefined();
  });
});

describe('checkTimeWindow', () => {
  it('accepts a usable window and refuses unknown zones and empty windows', () => {
    expect(() =>
      checkTimeWindow({ start: '08:00', end: '09:00', timeZone: 'Pacific/Auckland' }),
    ).not.toThrow();
    expect(
      thrownBy(() => checkTimeWindow({ start: '08:00', end: '09:00', timeZone: 'Nowhere/Special' })),
    ).toMatchObject({
      code: 'validation_failed',
      details: { field: 'conditions.timeWindow.timeZone' },
    });
    expect(thrownBy(() => checkTimeWindow({ start: '08:00', end: '08:00', timeZone: 'UTC' }))).toMatchObject({
      code: 'validation_failed',
      details: { field: 'conditions.timeWindow.end' },
    });
  });
});
