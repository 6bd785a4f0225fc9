import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { scanRepository, scanText, termsOnLine } from './terminology.js';

describe('terminology scanner', () => {
  it.each([
    ['a user is granted access', 'grant'],
    ['const roles = []', 'role'],
    ['PERMISSION_GROUP', 'permission group'],
    ['permission-groups of a user', 'permission group'],
    ['no privilege here', 'privilege'],
    ['check the ACL', 'access control list'],
    ['access control matters', 'access control list'],
    ['entitlements', 'entitlement'],
    ['the permission chain', 'permission chain'],
  ])('finds %j', (line, term) => {
    expect(termsOnLine(line).map((found) => found.term)).toContain(term);
  });

  it.each(['grouping', 'guarantee', 'controller', 'rolled back', 'privileged'].map((word) => [word]))(
    'leaves %j alone',
    (line) => {
      expect(termsOnLine(line)).toEqual([]);
    },
  );

  it("allows PostgreSQL's statements that manage database logins", () => {
    for (const line of [
      'GRANT USAGE ON SCHEMA identity TO identity_service;',
      'GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${s} TO ${l};',
      'REVOKE ALL ON SCHEMA identity FROM PUBLIC;',
      'CREATE ROLE identity_service LOGIN',
      "ALTER ROLE identity_service SET TimeZone = 'UTC'",
      'ALTER DEFAULT PRIVILEGES IN SCHEMA identity GRANT SELECT ON TABLES TO x;',
      'SELECT rolname FROM pg_roles',
    ]) {
      expect(termsOnLine(line)).toEqual([]);
    }
    expect(termsOnLine('-- a role may post here').map((term) => term.term)).toEqual(['role']);
  });

  it('reports file and line, and honours exceptions with a reason', () => {
    const text = 'fine\nassign a role\n';
    expect(scanText('docs/x.md', text, [])).toEqual([
      {
        file: 'docs/x.md',
        line: 2,
        term: 'role',
        text: 'assign a role',
        insteadSay: 'permission set, standing',
      },
    ]);
    expect(
      scanText('docs/x.md', text, [{ file: 'docs/x.md', term: 'role', reason: 'quoted standard' }]),
    ).toEqual([]);
    expect(
      scanText('docs/x.md', text, [{ file: 'docs/y.md', term: '*', reason: 'other file' }]),
    ).toHaveLength(1);
  });

  it('scans tracked and untracked files of a repository, skipping binaries and lock files', () => {
    const root = mkdtempSync(join(tmpdir(), 'parley-terms-'));
    execFileSync('git', ['init', '-q'], { cwd: root });
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export const grants = 1;\n');
    writeFileSync(join(root, 'b.md'), 'nothing here\n');
    writeFileSync(join(root, 'c.bin'), Buffer.from([0x72, 0x6f, 0x6c, 0x65, 0x00]));
    writeFileSync(join(root, 'package-lock.json'), '{"role": 1}');
    execFileSync('git', ['add', 'src/a.ts'], { cwd: root });
    expect(
      scanRepository(root, []).map((violation) => `${violation.file}:${violation.line}:${violation.term}`),
    ).toEqual(['src/a.ts:1:grant']);
  });
});
