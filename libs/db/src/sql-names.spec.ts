import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/contracts';
import { checkIdentifier, conventionalName, isSnakeCase, quoteIdentifier } from './sql-names.js';

describe('sql names', () => {
  it('knows snake_case', () => {
    expect(['users', 'refresh_tokens', 'a1_b2'].every(isSnakeCase)).toBe(true);
    expect(['Users', 'refreshTokens', '_x', 'x_', 'a__b', '1a', 'kebab-case', ''].some(isSnakeCase)).toBe(
      false,
    );
  });

  it('checks identifiers it will splice into SQL', () => {
    expect(checkIdentifier('schema', 'identity')).toBe('identity');
    expect(() => checkIdentifier('schema', 'x"; DROP')).toThrow(ParleyError);
    expect(() => checkIdentifier('login', 'a'.repeat(64))).toThrow(/at most 63 bytes/);
  });

  it('quotes identifiers', () => {
    expect(quoteIdentifier('user')).toBe('"user"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });

  it('keeps a name of up to 63 bytes and shortens a longer one with a hash of the full name', () => {
    const fits = `fk_${'a'.repeat(60)}`;
    expect(conventionalName(fits)).toBe(fits);
    const long = `idx_${'conversation_participants'}_${'notification_preference_id'}_${'created_at'}`;
    const short = conventionalName(long);
    expect(short).toHaveLength(63);
    expect(short).toBe(`${long.slice(0, 54)}_${createHash('md5').update(long).digest('hex').slice(0, 8)}`);
    expect(conventionalName(`${long}_x`)).not.toBe(short);
  });
});
