import type { QuietHours } from '@parley/contracts';

/** Quiet hours as stored: minutes after local midnight in a time zone. */
export interface QuietPeriod {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly timeZone: string;
}

const minutesPerDay = 24 * 60;

/** `HH:MM` → minutes after midnight. */
export function minuteOf(clock: string): number {
  const [hours, minutes] = clock.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** Minutes after midnight → `HH:MM`. */
export function clockOf(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

export function periodOf(hours: QuietHours): QuietPeriod {
  return { startMinute: minuteOf(hours.start), endMinute: minuteOf(hours.end), timeZone: hours.timeZone };
}

export function hoursOf(period: QuietPeriod): QuietHours {
  return { start: clockOf(period.startMinute), end: clockOf(period.endMinute), timeZone: period.timeZone };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local minute of the day of an instant in a time zone. */
export function localMinute(at: Date, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  const parts = format.formatToParts(at);
  const value = (type: string): number => Number(parts.find((part) => part.type === type)?.value);
  return value('hour') * 60 + value('minute');
}

/** True when the instant falls inside the period (start inclusive, end exclusive, wrapping past midnight). */
export function isQuiet(period: QuietPeriod, at: Date): boolean {
  const minute = localMinute(at, period.timeZone);
  return period.startMinute < period.endMinute
    ? minute >= period.startMinute && minute < period.endMinute
    : minute >= period.startMinute || minute < period.endMinute;
}

/**
 * The instant an email due at `at` may go: `at` itself outside the period, else the period's end
 * (to the minute). Counted in local minutes, so on a day the clocks change it may be an hour off,
 * which only moves an email within the night.
 */
export function quietEnd(period: QuietPeriod | undefined, at: Date): Date {
  if (period === undefined || !isQuiet(period, at)) {
    return at;
  }
  const minute = localMinute(at, period.timeZone);
  const wait = (period.endMinute - minute + minutesPerDay) % minutesPerDay;
  const startOfMinute = at.getTime() - (at.getTime() % 60_000);
  return new Date(startOfMinute + wait * 60_000);
}
