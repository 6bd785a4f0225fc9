import { PasswordHasher } from './password-hasher.js';
import { SecretBox } from './secret-box.js';
import { hashToken, newRefreshToken } from './tokens.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 1 });

  it('hashes with Argon2id and verifies only the right password', async () => {
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$argon2id\$/);
    await expect(hasher.verify(hash, 'correct horse battery')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'wrong horse battery')).resolves.toBe(false);
  });

  it('treats a malformed hash as a mismatch instead of throwing', async () => {
    await expect(hasher.verify('not-a-hash', 'x')).resolves.toBe(false);
  });

  it('spends a verification on unknown users and always fails', async () => {
    await expect(hasher.verifyNothing('parley-dummy-password-for-timing')).resolves.toBe(false);
  });
});

describe('SecretBox', () => {
  it('round-trips a secret and uses a fresh nonce each time', () => {
    const box = new SecretBox('a secret of enough length');
    const first = box.seal('{"d":"private"}');
    const second = box.seal('{"d":"private"}');
    expect(first).not.toBe(second);
    expect(first.startsWith('v1.')).toBe(true);
    expect(box.open(first)).toBe('{"d":"private"}');
  });

  it('refuses tampered data, another key, foreign formats and short secrets', () => {
    const box = new SecretBox('a secret of enough length');
    const sealed = box.seal('payload');
    const [v, iv, tag, ciphertext] = sealed.split('.');
    const flipped = Buffer.from(ciphertext!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => new SecretBox('another secret of length').open(sealed)).toThrow();
    expect(() => box.open('v2.a.b.c')).toThrow(/Unrecognised/);
    expect(() => box.open('v1.a')).toThrow(/Unrecognised/);
    expect(() => new SecretBox('short')).toThrow(/at least 16/);
  });
});

describe('refresh tokens', () => {
  it('are random, prefixed, and stored as a SHA-256 hex digest', () => {
    const a = newRefreshToken();
    const b = newRefreshToken();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^rt1_[A-Za-z0-9_-]{43}$/);
    expect(hashToken(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(a)).toBe(hashToken(a));
  });
});
