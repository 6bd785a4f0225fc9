import { eventAgeMs } from './event-follower.js';

describe('the age of an event', () => {
  it('is read from a version-7 UUID, which begins with its millisecond', () => {
    const made = Date.parse('2026-03-01T10:00:00.000Z');
    const hex = made.toString(16).padStart(12, '0');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7abc-8def-0123456789ab`;
    expect(eventAgeMs(id, new Date(made + 5000))).toBe(5000);
  });

  it('is unknown for any other id', () => {
    expect(eventAgeMs('f47ac10b-58cc-4372-a567-0e02b2c3d479', new Date())).toBeUndefined();
    expect(eventAgeMs('identity:42', new Date())).toBeUndefined();
  });
});
