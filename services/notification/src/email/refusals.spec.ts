import { refusedForGood } from './email-sender.js';

const smtpError = (fields: Record<string, unknown>) => Object.assign(new Error('refused'), fields);

describe('refusedForGood', () => {
  it('is true for a 5xx reply to the recipient or the message', () => {
    expect(
      refusedForGood(
        smtpError({
          code: 'EENVELOPE',
          command: 'RCPT TO',
          responseCode: 550,
          response: '550 5.1.1 No such user',
        }),
      ),
    ).toBe(true);
    expect(refusedForGood(smtpError({ code: 'EMESSAGE', command: 'DATA', responseCode: 554 }))).toBe(true);
  });

  it('is false for what the operator fixes: the sender address, the login, policy refusals', () => {
    expect(
      refusedForGood(
        smtpError({
          code: 'EENVELOPE',
          command: 'MAIL FROM',
          responseCode: 553,
          response: '553 sender rejected',
        }),
      ),
    ).toBe(false);
    expect(refusedForGood(smtpError({ code: 'EAUTH', command: 'AUTH PLAIN', responseCode: 535 }))).toBe(
      false,
    );
    expect(
      refusedForGood(
        smtpError({
          code: 'EENVELOPE',
          command: 'RCPT TO',
          responseCode: 554,
          response: '554 5.7.1 Relay access denied',
        }),
      ),
    ).toBe(false);
  });

  it('is false for temporary replies, network failures and non-errors', () => {
    expect(refusedForGood(smtpError({ code: 'EMESSAGE', command: 'DATA', responseCode: 451 }))).toBe(false);
    expect(refusedForGood(smtpError({ code: 'ECONNECTION', command: 'CONN' }))).toBe(false);
    expect(refusedForGood('550 as text')).toBe(false);
    expect(refusedForGood(null)).toBe(false);
  });
});
