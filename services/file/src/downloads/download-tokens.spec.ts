import { SignJWT } from 'jose';
import { ParleyError } from '@parley/contracts';
import { DownloadTokens } from './download-tokens.js';

const secret = 'a-download-secret-of-more-than-thirty-two-characters';
const signed = {
  fileId: '0190a000-0000-7000-8000-0000000000f1',
  tenantId: '0190a000-0000-7000-8000-0000000000a1',
  disposition: 'inline',
} as const;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details?: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ParleyError) {
      return { code: error.code, details: error.details };
    }
    throw error;
  }
  throw new Error('Expected a refusal');
}

describe('DownloadTokens', () => {
  const tokens = new DownloadTokens(secret, 5 * 60_000);
  const now = new Date('2030-01-01T12:00:00.400Z');

  it('opens what it signed until it expires', async () => {
    const { token, expiresAt } = await tokens.sign(signed, now);
    expect(expiresAt.toISOString()).toBe('2030-01-01T12:05:00.000Z');
    await expect(tokens.verify(token, new Date('2030-01-01T12:04:59Z'))).resolves.toEqual(signed);
    await expect(refusal(tokens.verify(token, new Date('2030-01-01T12:05:01Z')))).resolves.toEqual({
      code: 'forbidden',
      details: { reason: 'expired' },
    });
  });

  it('answers anything it did not sign as a missing file', async () => {
    const other = new DownloadTokens('another-secret-of-more-than-thirty-two-characters', 60_000);
    const { token } = await other.sign(signed, now);
    await expect(refusal(tokens.verify(token, now))).resolves.toMatchObject({ code: 'not_found' });
    await expect(refusal(tokens.verify('garbage', now))).resolves.toMatchObject({ code: 'not_found' });
  });

  it('refuses a token of its own key whose claims name no download', async () => {
    const key = new TextEncoder().encode(secret);
    const unsigned = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('parley-file')
        .setAudience('parley-file-download')
        .setSubject(signed.fileId)
        .setExpirationTime('5m')
        .sign(key);
    for (const claims of [
      { tid: signed.tenantId, dsp: 'download' },
      { tid: 7, dsp: 'inline' },
    ]) {
      await expect(refusal(tokens.verify(await unsigned(claims), new Date()))).resolves.toMatchObject({
        code: 'not_found',
      });
    }
  });
});
