import { conventionalName } from './sql-names.js';
import { nameMatches, sqlRules } from './sql-conventions.js';

describe('nameMatches', () => {
  const longBase = `idx_conversation_participants_${'notification_preference_id'}_created_at`;

  it('wants exactly the conventional name when no suffix is allowed', () => {
    expect(nameMatches('pk_users', 'pk_users', 'none')).toBe(true);
    expect(nameMatches('pk_users_x', 'pk_users', 'none')).toBe(false);
    expect(nameMatches(conventionalName(longBase), longBase, 'none')).toBe(true);
    // What PostgreSQL leaves of a long name it truncated is not the conventional short form.
    expect(nameMatches(longBase.slice(0, 63), longBase, 'none')).toBe(false);
  });

  it('takes an optional or required snake_case suffix', () => {
    expect(nameMatches('idx_users_email', 'idx_users_email', 'optional')).toBe(true);
    expect(nameMatches('idx_users_email_live', 'idx_users_email', 'optional')).toBe(true);
    expect(nameMatches('idx_users_email_Live', 'idx_users_email', 'optional')).toBe(false);
    expect(nameMatches('ck_users', 'ck_users', 'required')).toBe(false);
    expect(nameMatches('ck_users_email_length', 'ck_users', 'required')).toBe(true);
    expect(nameMatches('ck_accounts_email', 'ck_users', 'required')).toBe(false);
  });

  it('accepts a shortened name whose kept head agrees with the base', () => {
    const withPurpose = conventionalName(`${longBase}_for_the_digest`);
    expect(withPurpose).toHaveLength(63);
    expect(nameMatches(withPurpose, longBase, 'optional')).toBe(true);
    const shortBase = 'idx_teams_owner_id';
    expect(nameMatches(conventionalName(`${shortBase}_${'x'.repeat(60)}`), shortBase, 'optional')).toBe(true);
    expect(nameMatches(conventionalName(`idx_other_${'x'.repeat(60)}`), shortBase, 'optional')).toBe(false);
  });
});

describe('sqlRules', () => {
  it('are unique snake_case ids', () => {
    expect(new Set(sqlRules).size).toBe(sqlRules.length);
    for (const rule of sqlRules) {
      expect(rule).toMatch(/^[a-z]+(_[a-z]+)*$/);
    }
  });
});
