import { ParleyError } from '@parley/contracts';
import { thrownBy } from '@parley/testing';
import { characters, checkLimit } from './limits.js';

describe('checkLimit', () => {
  it('allows up to the limit and refuses beyond it with limit_exceeded naming it', () => {
    expect(() => checkLimit('mentions', 50)).not.toThrow();
    const error = thrownBy(() => checkLimit('body_length', 16_001));
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({
      code: 'limit_exceeded',
      message: 'At most 16,000 characters in a message',
      details: { limit: 'body_length', max: 16_000, actual: 16_001 },
    });
  });
});

describe('characters', () => {
  it('counts code points as PostgreSQL does, not UTF-16 units', () => {
    expect(characters('abc')).toBe(3);
    expect(characters('😀😀')).toBe(2);
    expect('😀😀'.length).toBe(4);
  });
});
