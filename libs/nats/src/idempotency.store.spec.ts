import { keyOf } from './idempotency.store.js';
import { thrownBy } from '@parley/testing';

describe('idempotency keys', () => {
  it('uses the consumer and message id as they are when a key can hold them', () => {
    expect(keyOf('mailer', '0b5c4a7e-7d3f-4a56-9d59-2f1f0c1d2e3f')).toBe(
      'mailer.0b5c4a7e-7d3f-4a56-9d59-2f1f0c1d2e3f',
    );
  });

  it('encodes other ids so that they can never collide with a plain one', () => {
    const encoded = keyOf('mailer', 'stream:42');
    expect(encoded).toBe(`mailer.b64.${Buffer.from('stream:42').toString('base64url')}`);
    expect(encoded).not.toBe(keyOf('mailer', 'b64'));
  });

  it('refuses a consumer name a key cannot hold and an empty id', () => {
    expect(thrownBy(() => keyOf('a.b', 'x'))).toMatchObject({ code: 'validation_failed' });
    expect(thrownBy(() => keyOf('mailer', ''))).toMatchObject({ code: 'validation_failed' });
  });
});
