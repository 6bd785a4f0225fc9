import { z } from 'zod';
import {
  errorCodes,
  errorEnvelopeSchema,
  httpStatusOf,
  ParleyError,
  replyEnvelopeSchema,
  validationError,
} from './errors.js';

describe('error envelope', () => {
  it('round-trips a ParleyError through its envelope', () => {
    const error = new ParleyError('not_found', 'No such user', { userId: 'x' });
    const envelope = error.toEnvelope();
    expect(errorEnvelopeSchema.parse(envelope)).toEqual({
      code: 'not_found',
      message: 'No such user',
      details: { userId: 'x' },
    });
    const back = ParleyError.fromEnvelope(envelope);
    expect(back).toBeInstanceOf(ParleyError);
    expect(back).toMatchObject({ code: 'not_found', message: 'No such user', details: { userId: 'x' } });
  });

  it('leaves details out when there are none', () => {
    expect(new ParleyError('conflict', 'Taken').toEnvelope()).toEqual({ code: 'conflict', message: 'Taken' });
  });

  it('lists each failing field of a validation error', () => {
    const result = z.object({ email: z.email(), age: z.number() }).safeParse({ email: 'nope', age: 'x' });
    expect(result.success).toBe(false);
    const error = validationError('login request', result.error!);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toBe('Invalid login request');
    expect(error.details?.['issues']).toEqual([
      { path: 'email', message: expect.any(String) },
      { path: 'age', message: expect.any(String) },
    ]);
  });

  it('maps every code to an HTTP status and validates replies', () => {
    for (const code of errorCodes) {
      expect(httpStatusOf[code]).toBeGreaterThanOrEqual(400);
    }
    expect(replyEnvelopeSchema.safeParse({ ok: true, data: 1 }).success).toBe(true);
    expect(replyEnvelopeSchema.safeParse({ ok: false, error: { code: 'nope', message: 'x' } }).success).toBe(
      false,
    );
  });
});
