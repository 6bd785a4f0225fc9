import { thrownBy } from '@parley/testing';
import { decodeCursor, encodeCursor, sequenceCursor } from './cursor.js';

describe('cursors', () => {
  it('round-trip a position', () => {
    expect(decodeCursor(encodeCursor({ s: 42 }), sequenceCursor)).toEqual({ s: 42 });
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['another list’s cursor', encodeCursor({ u: 'someone' })],
    ['a negative sequence', encodeCursor({ s: -1 })],
  ])('refuse %s with validation_failed', (_what, cursor) => {
    expect(thrownBy(() => decodeCursor(cursor, sequenceCursor))).toMatchObject({ code: 'validation_failed' });
  });
});
