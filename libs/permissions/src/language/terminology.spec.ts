import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParleyError } from '@parley/contracts';
import {
  formatViolation,
  globToRegExp,
  scanRepository,
  scanRepositoryReport,
  scanText,
  sqlRangesOf,
  stringLiteralMask,
  termExceptions,
  termIds,
  type ScanOptions,
  type TermException,
} from './terminology.js';

const none: ScanOptions = { exceptions: [] };

/** The terms found in a one-file text, as `line:term`. */
function found(file: string, text: string, options: ScanOptions = none): string[] {
  return scanText(file, text, options).map((violation) => `${violation.line}:${violation.term}`);
}

describe('forbidden words', () => {
  it.each([
    ['The admin granted it.', 'grant'],
    ['GRANTING access', 'grant'],
    ['const grants = [];', 'grant'],
    ['isGranted()', 'grant'],
    ['a role', 'role'],
    ['userRoles', 'role'],
    ['ROLE_ID', 'role'],
    ['role-name', 'role'],
    ['a permission group', 'permission group'],
    ['permission-groups', 'permission group'],
    ['permission_group_id', 'permission group'],
    ['PermissionGroup', 'permission group'],
    ['no privilege', 'privilege'],
    ['PRIVILEGES', 'privilege'],
    ['the ACL', 'ACL'],
    ['isAcl', 'ACL'],
    ['ACLEntry', 'ACL'],
    ['acls', 'ACL'],
    ['access control', 'access control'],
    ['Access-Controlled', 'access control'],
    ['accessControlList', 'access control'],
    ['entitlements', 'entitlement'],
    ['hasEntitlement', 'entitlement'],
    ['the permissionset', 'permissionset'],
    ['PERMISSIONSETS', 'permissionset'],
    ['a perm set', 'perm set'],
    ['permSet', 'perm set'],
    ['perm_sets', 'perm set'],
    ['the permission chain', 'permission chain'],
  ])('finds %j as "%s", with its line', (line, term) => {
    const text = `first line\n${line}\nlast line\n`;
    expect(scanText('notes.md', text, none)).toEqual([{ file: 'notes.md', line: 2, term, text: line }]);
  });

  it.each([
    'guarantee',
    'grantee',
    'immigrant',
    'controller',
    'rolled back',
    'enrolled',
    'parole',
    'oracle',
    'privileged',
    'permissionSetId',
    'PermissionSet',
    'permission set',
    'permission_set_id',
    'permissions',
    'permSettings',
    'access controller',
    'NOCREATEROLE',
    'rolname',
    'a group conversation',
  ])('leaves %j alone', (line) => {
    expect(found('notes.md', line)).toEqual([]);
  });

  it('reports each word once per line and every line it is on', () => {
    expect(found('a.txt', 'role and role\nroles\n\ngrant a role')).toEqual([
      '1:role',
      '2:role',
      '4:grant',
      '4:role',
    ]);
  });

  it('cuts the reported text to the trimmed line', () => {
    const long = `   a role ${'x'.repeat(300)}`;
    const [violation] = scanText('a.txt', long, none);
    expect(violation?.text).toBe(long.trim().slice(0, 200));
  });

  it('formats a violation with the word to use instead', () => {
    expect(formatViolation({ file: 'a.md', line: 3, term: 'role', text: 'a role' })).toBe(
      'a.md:3: "role" (say permission set, standing): a role',
    );
  });
});

describe('SQL that manages database logins', () => {
  const statements = [
    'GRANT USAGE ON SCHEMA identity TO identity_service;',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA identity TO identity_service;',
    'GRANT identity_service TO parley_admin;',
    'REVOKE ALL PRIVILEGES ON SCHEMA identity FROM PUBLIC;',
    'REVOKE GRANT OPTION FOR SELECT ON identity.users FROM someone;',
    'CREATE ROLE identity_service LOGIN NOSUPERUSER;',
    "ALTER ROLE identity_service SET TimeZone = 'UTC';",
    'DROP ROLE IF EXISTS identity_service;',
    'SET ROLE identity_service;',
    'ALTER DEFAULT PRIVILEGES IN SCHEMA identity GRANT SELECT ON TABLES TO identity_service;',
    'ALTER DEFAULT PRIVILEGES FOR ROLE parley_admin IN SCHEMA identity GRANT EXECUTE ON FUNCTIONS TO x;',
    'SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = current_role;',
    'SELECT 1 FROM pg_authid;',
    "SELECT has_schema_privilege('identity_service', 'identity', 'USAGE');",
    "SELECT pg_has_role('identity_service', 'parley_admin', 'MEMBER');",
  ];

  it.each(statements)('allows %j in a .sql file', (statement) => {
    expect(found('sql/identity/0001_x.sql', `-- set up\n${statement}\n`)).toEqual([]);
  });

  it('reports the same words in a .sql file outside such a statement', () => {
    const text = [
      'GRANT USAGE ON SCHEMA identity TO identity_service;',
      '-- grant the login what it needs',
      'CREATE TABLE identity.roles (id uuid);',
      "COMMENT ON TABLE identity.users IS 'A user and its privileges';",
      'GRANT USAGE ON SCHEMA identity TO identity_service; -- the role of the service',
      'SELECT * FROM identity.user_roles;',
      'grant usage on schema identity to identity_service;',
    ].join('\n');
    expect(found('sql/identity/0002_y.sql', text)).toEqual([
      '2:grant',
      '3:role',
      '4:privilege',
      '5:role',
      '6:role',
      '7:grant',
    ]);
  });

  it('allows the statements inside string literals of TypeScript, including template literals', () => {
    const source = [
      'const s = quote(schema);',
      'await client.query(`',
      '  REVOKE ALL ON SCHEMA ${s} FROM PUBLIC;',
      '  GRANT USAGE ON SCHEMA ${s} TO ${l};',
      '  ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT ON TABLES TO ${l};',
      '`);',
      "await client.query('CREATE ROLE ' + name + ' LOGIN');",
      'await client.query(`ALTER ROLE ${quoteIdentifier(login)} SET search_path = ${quoteIdentifier(s)}`);',
      'await client.query("GRANT SELECT ON " + table + " TO reader");',
      'await client.query(`DROP ROLE IF EXISTS "${login}"`);',
    ].join('\n');
    expect(found('libs/db/src/x.ts', source)).toEqual([]);
  });

  it('reports the words in TypeScript code, comments and non-SQL strings', () => {
    const source = [
      "const roles = 'GRANT USAGE ON SCHEMA s TO l';",
      '// GRANT USAGE ON SCHEMA s TO l',
      '/* CREATE ROLE x */',
      "const message = 'a role is needed';",
      'const pattern = /GRANT USAGE ON SCHEMA s TO l/;',
      "const reminder = 'grant it on Monday to Bob';",
      "query('GRANT USAGE ON SCHEMA s TO ' + roleName);",
    ].join('\n');
    expect(found('libs/x/src/y.ts', source)).toEqual([
      '1:role',
      '2:grant',
      '3:role',
      '4:role',
      '5:grant',
      '6:grant',
      '7:role',
    ]);
  });

  it('allows the statements only in SQL code blocks of Markdown', () => {
    const markdown = [
      'The runner grants nothing by itself.',
      '',
      '  ```sql',
      '  GRANT USAGE ON SCHEMA identity TO identity_service;',
      '  ALTER ROLE identity_service SET search_path = identity;',
      '  ```',
      '',
      '```ts',
      "query('GRANT USAGE ON SCHEMA identity TO identity_service');",
      '```',
      'GRANT USAGE ON SCHEMA identity TO identity_service;',
      '~~~~postgresql',
      '```',
      'CREATE ROLE x;',
      '~~~~',
      'CREATE ROLE y;',
    ].join('\n');
    expect(found('docs/a.md', markdown)).toEqual(['1:grant', '9:grant', '11:grant', '16:role']);
  });

  it('does not treat other files as SQL', () => {
    expect(found('deploy/job.yaml', 'command: psql -c "GRANT USAGE ON SCHEMA x TO y"')).toEqual(['1:grant']);
  });
});

describe('exceptions', () => {
  const text = 'a role\nno-new-privileges: true\nprivileges: all\n';

  it('allow a word in the files their glob covers', () => {
    const exceptions: TermException[] = [{ file: 'docs/**/*.md', term: 'role', reason: 'quoted standard' }];
    expect(found('docs/deep/er/a.md', text, { exceptions })).toEqual(['2:privilege', '3:privilege']);
    expect(found('docs/a.md', text, { exceptions })).toEqual(['2:privilege', '3:privilege']);
    expect(found('src/a.md', text, { exceptions })).toEqual(['1:role', '2:privilege', '3:privilege']);
  });

  it('allow every word with `*`, and only one identifier when it is named', () => {
    expect(
      found('a.yml', text, { exceptions: [{ file: 'a.yml', term: '*', reason: 'defines them' }] }),
    ).toEqual([]);
    const narrow: TermException[] = [
      { file: '*.yml', term: 'privilege', identifier: 'no-new-privileges', reason: "Docker's option name" },
    ];
    expect(found('a.yml', text, { exceptions: narrow })).toEqual(['1:role', '3:privilege']);
    expect(found('sub/a.yml', text, { exceptions: narrow })).toEqual([
      '1:role',
      '2:privilege',
      '3:privilege',
    ]);
  });

  it.each<[TermException, string]>([
    [{ file: 'a.md', term: 'role', reason: '' }, 'A terminology exception needs a reason'],
    [{ file: 'a.md', term: 'role', reason: '   ' }, 'A terminology exception needs a reason'],
    [{ file: 'a.md', term: 'role' } as unknown as TermException, 'A terminology exception needs a reason'],
    [{ file: ' ', term: 'role', reason: 'why' }, 'A terminology exception needs a file glob'],
    [{ file: 'a.md', term: 'rôle', reason: 'why' } as unknown as TermException, 'unknown word'],
  ])('are refused without a reason, a glob or a known word: %j', (exception, message) => {
    let thrown: unknown;
    try {
      scanText('a.md', 'a role', { exceptions: [exception] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ParleyError);
    expect(thrown).toMatchObject({ code: 'validation_failed', message: expect.stringContaining(message) });
  });

  it('default to the shared list, where every entry has a reason and a known word', () => {
    expect(termExceptions.length).toBeGreaterThan(0);
    for (const exception of termExceptions) {
      expect(exception.reason.trim()).not.toBe('');
      expect(['*', ...termIds]).toContain(exception.term);
    }
    expect(found('docker-compose.yml', 'security_opt:\n  - no-new-privileges:true\n', {})).toEqual([]);
    expect(found('docker-compose.yml', 'privileges: all\n', {})).toEqual(['1:privilege']);
    expect(scanText('deploy/kubernetes/base/job.yaml', 'allowPrivilegeEscalation: false')).toEqual([]);
  });

  it.each([
    ['docs/*.md', 'docs/a.md', true],
    ['docs/*.md', 'docs/sub/a.md', false],
    ['docs/**/*.md', 'docs/a.md', true],
    ['docs/**/*.md', 'docs/sub/deeper/a.md', true],
    ['docs/**', 'docs/sub/a.txt', true],
    ['a?.md', 'ab.md', true],
    ['a?.md', 'a/.md', false],
    ['a.md', 'aXmd', false],
    ['(x)+[y].md', '(x)+[y].md', true],
  ])('glob %j matches %j: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});

describe('telling strings from code', () => {
  /** The string parts of a one-line source. */
  function strings(source: string): string[] {
    return (sqlRangesOf('x.ts', source)[0] ?? []).map(([from, to]) => source.slice(from, to));
  }

  it('finds quoted strings with escapes, and template literals with their substitutions', () => {
    expect(strings(`a('it\\'s', "say \\"hi\\"") + b`)).toEqual([`'it\\'s'`, `"say \\"hi\\""`]);
    expect(strings('f(`x ${g({ a: `in ${b}` })} y`, z)')).toEqual(['`x ${g({ a: `in ${b}` })} y`']);
  });

  it('skips comments and regular expressions, but not division', () => {
    expect(strings(`x = /it's/g.test(y) // 'no'`)).toEqual([]);
    expect(strings(`x = a / b / 'c'`)).toEqual([`'c'`]);
    expect(strings(`x = (a) / 2; y = '/'`)).toEqual([`'/'`]);
    expect(strings(`return /[/']/.test(s) ? '1' : '2'`)).toEqual([`'1'`, `'2'`]);
    expect(strings(`x = 1 /* 'no' */ + '2'`)).toEqual([`'2'`]);
    expect(strings(`x = a[0] / 2 + '3'`)).toEqual([`'3'`]);
    expect(strings(`x = /a\\/'b/ + 'c'`)).toEqual([`'c'`]);
    expect(sqlRangesOf('x.ts', `x = /\n'y'`)).toEqual([[], [[0, 3]]]);
  });

  it('ends an unterminated string at the line end, and survives unterminated templates and comments', () => {
    expect(strings(`x = 'open`)).toEqual([`'open`]);
    expect(Array.from(stringLiteralMask('`open'))).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(stringLiteralMask('`a ${b'))).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(stringLiteralMask('/* x'))).toEqual([0, 0, 0, 0]);
    expect(Array.from(stringLiteralMask('x = /y'))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('follows template literals across lines', () => {
    const ranges = sqlRangesOf('x.ts', 'a(`one\ntwo ${b}\nthree`) + c');
    expect(ranges).toEqual([[[2, 6]], [[0, 8]], [[0, 6]]]);
  });

  it('treats a whole .sql file as SQL, and files of other kinds as none', () => {
    expect(sqlRangesOf('a.SQL', 'x\nyy')).toEqual([[[0, 1]], [[0, 2]]]);
    expect(sqlRangesOf('a.json', '"GRANT x TO y"')).toEqual([[]]);
  });
});

describe('scanning a repository', () => {
  let root: string;
  let outside: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'parley-terms-'));
    outside = mkdtempSync(join(tmpdir(), 'parley-terms-outside-'));
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    };
    git('init', '-q');
    mkdirSync(join(root, 'src'));
    mkdirSync(join(root, 'sql'));
    mkdirSync(join(root, 'contracts', 'generated'), { recursive: true });
    writeFileSync(join(root, 'src', 'tracked.ts'), 'export const ok = 1;\nexport const grants = 2;\n');
    writeFileSync(join(root, 'sql', '0001_a.sql'), 'GRANT USAGE ON SCHEMA a TO a_service;\n-- a role\n');
    writeFileSync(join(root, 'gone.md'), 'a role\n');
    writeFileSync(join(root, 'untracked.md'), '\n\nan entitlement\n');
    writeFileSync(join(root, '.gitignore'), 'ignored.md\n');
    writeFileSync(join(root, 'ignored.md'), 'a role\n');
    writeFileSync(join(root, 'image.bin'), Buffer.from('role\0grant'));
    writeFileSync(join(root, 'package-lock.json'), '{ "role": 1 }\n');
    writeFileSync(join(root, 'contracts', 'generated', 'schemas.json'), '{ "role": 1 }\n');
    writeFileSync(join(outside, 'shared.md'), 'a role\n');
    symlinkSync(join(outside, 'shared.md'), join(root, 'linked.md'));
    git('add', 'src/tracked.ts', 'sql/0001_a.sql', 'gone.md', 'package-lock.json');
    unlinkSync(join(root, 'gone.md'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads tracked and untracked files, and skips ignored, deleted, binary, lock, generated and linked ones', async () => {
    const report = await scanRepositoryReport(root, none);
    expect(report.files).toEqual(['.gitignore', 'sql/0001_a.sql', 'src/tracked.ts', 'untracked.md']);
    expect(
      report.violations.map((violation) => `${violation.file}:${violation.line}:${violation.term}`),
    ).toEqual(['sql/0001_a.sql:2:role', 'src/tracked.ts:2:grant', 'untracked.md:3:entitlement']);
    expect(report.unusedExceptions).toEqual([]);
  });

  it('applies exceptions and names those that allowed nothing', async () => {
    const used: TermException = { file: 'src/**', term: 'grant', reason: 'fixture' };
    const unused: TermException = { file: 'nowhere/*.md', term: 'role', reason: 'stale' };
    const report = await scanRepositoryReport(root, { exceptions: [used, unused] });
    expect(report.violations.map((violation) => violation.file)).toEqual(['sql/0001_a.sql', 'untracked.md']);
    expect(report.unusedExceptions).toEqual([unused]);
    await expect(scanRepository(root, { exceptions: [used] })).resolves.toHaveLength(2);
  });

  it('uses the shared exceptions by default', async () => {
    const report = await scanRepositoryReport(root);
    expect(report.violations).toHaveLength(3);
    expect(report.unusedExceptions).toEqual(termExceptions);
  });

  it('refuses a folder that is not a git work tree', async () => {
    await expect(scanRepository(outside)).rejects.toMatchObject({
      code: 'validation_failed',
      details: { root: outside },
    });
  });
});
