import { ParleyError } from '@parley/contracts';
import { parleyErrorFrom, reasonOf } from './error-details.js';

describe('error details', () => {
  it('reads the message of an Error and the text of anything else', () => {
    expect(reasonOf(new TypeError('bad'))).toBe('bad');
    expect(reasonOf('plain')).toBe('plain');
    expect(reasonOf(42)).toBe('42');
  });

  it('keeps the cause behind a ParleyError', () => {
    const cause = new Error('socket closed');
    const error = parleyErrorFrom(cause, 'unavailable', 'Down', { retry: true });
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'Down', details: { retry: true }, cause });
  });
});
