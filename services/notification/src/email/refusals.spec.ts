import { refusedForGood } from './email-sender.js';

describe('refusedForGood', () => {
  it('is true for a 5xx reply to the recipient or the message', () => {
    expect(
      refusedForGood(Object.assign(new Error('no mailbox'), { code: 'EENVELOPE', responseCode: 550 })),
    ).toBe(true);
    expect(refusedForGood(Object.assign(new Error('policy'), { code: 'EMESSAGE', responseCode: 554 }))).toBe(
      true,
    );
  });

  it('is false for temporary replies, other commands, network failures and non-errors', () => {
    expect(refusedForGood(Object.assign(new Error('busy'), { code: 'EMESSAGE', responseCode: 451 }))).toBe(
      false,
    );
    expect(refusedForGood(Object.assign(new Error('login'), { code: 'EAUTH', responseCode: 535 }))).toBe(
      false,
    );
    expect(refusedForGood(Object.assign(new Error('down'), { code: 'ECONNECTION' }))).toBe(false);
    expect(refusedForGood('550 as text')).toBe(false);
    expect(refusedForGood(null)).toBe(false);
  });
});
