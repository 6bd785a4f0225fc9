import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at its rate', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.waitMs(0)).toBe(500);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.isFull(500)).toBe(false);
    expect(bucket.isFull(2000)).toBe(true);
    expect(bucket.waitMs(2000)).toBe(0);
  });

  it('never holds more than its capacity and ignores a clock going backwards', () => {
    const bucket = new TokenBucket(1000, 2, 0);
    expect(bucket.take(60_000)).toBe(true);
    expect(bucket.take(60_000)).toBe(true);
    expect(bucket.take(60_000)).toBe(false);
    expect(bucket.take(59_000)).toBe(false);
  });

  it('changes its rate and size, keeping what it holds up to the new size', () => {
    const bucket = new TokenBucket(10, 10, 0);
    expect(bucket.take(0)).toBe(true);
    bucket.resize(2, 4, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
    expect(bucket.waitMs(0)).toBe(500);
    bucket.resize(10, 10, 0);
    expect(bucket.waitMs(0)).toBe(100);
  });
});
