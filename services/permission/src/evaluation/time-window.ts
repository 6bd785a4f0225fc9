import { ParleyError, type Conditions } from '@parley/contracts';

export type TimeWindow = NonNullable<Conditions['timeWindow']>;

const minuteMs = 60_000;
// Index + 1 is the ISO weekday.
const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The weekday (ISO, 1 = Monday) and minute of the day of an instant, in a time zone. */
export function localTime(at: Date, timeZone: string): { weekday: number; minute: number } {
  let weekday = 0;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(timeZone).formatToParts(at)) {
    if (part.type === 'weekday') {
      weekday = weekdays.indexOf(part.value) + 1;
    } else if (part.type === 'hour') {
      hour = Number(part.value);
    } else if (part.type === 'minute') {
      minute = Number(part.value);
    }
  }
  return { weekday, minute: hour * 60 + minute };
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':');
  return Number(hours) * 60 + Number(minutes);
}

/** Refuses a window the evaluation could not use: an unknown time zone, or start equal to end. */
export function checkTimeWindow(window: TimeWindow): void {
  try {
    formatterFor(window.timeZone);
  } catch {
    throw new ParleyError('validation_failed', `Unknown time zone "${window.timeZone}"`, {
      field: 'conditions.timeWindow.timeZone',
    });
  }
  if (window.start === window.end) {
    throw new ParleyError('validation_failed', 'A time window needs an end different from its start', {
      field: 'conditions.timeWindow.end',
    });
  }
}

/**
 * Whether the window is open at an instant. From start (inclusive) to end (exclusive) in local
 * time; an end before the start wraps past midnight, and the hours after midnight belong to the
 * day on which the window opened (a Friday 22:00–06:00 window is open early on Saturday).
 */
export function isTimeWindowOpen(window: TimeWindow, at: Date): boolean {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const { weekday, minute } = localTime(at, window.timeZone);
  const onDay = (day: number): boolean => window.days === undefined || window.days.includes(day);
  if (start === end) {
    return false; // refused by checkTimeWindow; never open rather than guessing a meaning
  }
  if (start < end) {
    return minute >= start && minute < end && onDay(weekday);
  }
  if (minute >= start) {
    return onDay(weekday);
  }
  // start > end: before the end, the window is the one that opened the day before.
  return minute < end && onDay(weekday === 1 ? 7 : weekday - 1);
}

/**
 * The first instant after `from`, and not after `limit`, at which the window opens or closes;
 * undefined when it does neither before `limit`. Windows open and close on whole local minutes,
 * so the minute boundaries are the only candidates (time zones differ from UTC by whole minutes).
 */
export function nextTimeWindowEdge(window: TimeWindow, from: Date, limit: Date): Date | undefined {
  const open = isTimeWindowOpen(window, from);
  for (
    let candidate = Math.floor(from.getTime() / minuteMs) * minuteMs + minuteMs;
    candidate <= limit.getTime();
    candidate += minuteMs
  ) {
    const at = new Date(candidate);
    if (isTimeWindowOpen(window, at) !== open) {
      return at;
    }
  }
  return undefined;
}
