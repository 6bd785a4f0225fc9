import { randomUUID } from 'node:crypto';
import { ParleyError } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { decodeCursor, encodeCursor } from './cursor.js';
import { checkLimit, jsonBytes } from './limits.js';

describe('cursors and limits', () => {
  it('hand back the last id of a page', () => {
    const id = randomUUID();
    expect(decodeCursor(encodeCursor(id))).toBe(id);
  });

  it('refuse a cursor they did not make', async () => {
    for (const cursor of [
      '%%%',
      Buffer.from('{"i":"nope"}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      const error = await parleyErrorOf(Promise.resolve().then(() => decodeCursor(cursor)));
      expect(error.code).toBe('validation_failed');
    }
  });

  it('name the limit that was exceeded', () => {
    expect(() => checkLimit('recipients', 1000)).not.toThrow();
    let thrown: unknown;
    try {
      checkLimit('recipients', 1001);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ParleyError);
    expect((thrown as ParleyError).details).toEqual({ limit: 'recipients', max: 1000, actual: 1001 });
    expect(jsonBytes({ a: 'é' })).toBe(10);
  });
});
