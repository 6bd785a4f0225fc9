import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParleyError } from '@parley/contracts';
import {
  commonSqlDirectory,
  readMigrationDirectory,
  renderMigration,
  serviceSqlDirectory,
} from './migration-files.js';

async function folder(files: Record<string, string>): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'parley-files-'));
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(directory, name), content);
  }
  return directory;
}

const service = { prefix: 'svc', allowSchemaToken: false };

describe('readMigrationDirectory', () => {
  it('returns the files in sequence order with their SHA-256, skipping Markdown notes', async () => {
    const directory = await folder({
      '0010_later.sql': 'SELECT 2;',
      '0002_first.sql': 'SELECT 1;',
      'README.md': '# notes',
    });
    const files = await readMigrationDirectory(directory, service);
    expect(files.map((file) => file.name)).toEqual(['svc/0002_first.sql', 'svc/0010_later.sql']);
    expect(files[0]).toMatchObject({
      path: join(directory, '0002_first.sql'),
      sql: 'SELECT 1;',
      checksum: createHash('sha256').update('SELECT 1;').digest('hex'),
    });
  });

  it.each([
    ['a file that is not NNNN_<description>.sql', { '1_short.sql': '' }, /Unexpected entry "1_short.sql"/],
    ['an upper-case description', { '0001_Create.sql': '' }, /Unexpected entry/],
    ['a stray file', { '0001_ok.sql.bak': '' }, /Unexpected entry/],
    [
      'two files with one sequence number',
      { '0001_a.sql': '', '0001_b.sql': '' },
      /share the sequence number 0001/,
    ],
    [
      'the schema token in a service file',
      { '0001_a.sql': 'CREATE TABLE {{schema}}.t ();' },
      /only sql\/common\/ files may/,
    ],
    [
      'its own BEGIN',
      { '0001_a.sql': 'begin;\nCREATE TABLE s.t ();' },
      /controls its own transaction \("begin;"\)/,
    ],
    ['its own COMMIT', { '0001_a.sql': 'CREATE TABLE s.t ();\n  COMMIT;' }, /controls its own transaction/],
    [
      'START TRANSACTION',
      { '0001_a.sql': 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE;' },
      /controls its own transaction/,
    ],
  ])('refuses %s', async (_what, files, message) => {
    const directory = await folder(files);
    const failure = await readMigrationDirectory(directory, service).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ParleyError);
    expect(failure).toMatchObject({ code: 'validation_failed', message: expect.stringMatching(message) });
  });

  it('refuses a sub-folder', async () => {
    const directory = await folder({});
    await mkdir(join(directory, 'nested'));
    await expect(readMigrationDirectory(directory, service)).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('accepts PL/pgSQL blocks, comments and the schema token in common files', async () => {
    const directory = await folder({
      '0001_fn.sql':
        "CREATE FUNCTION {{schema}}.f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND\n$$;\n-- commit to nothing\nCOMMENT ON FUNCTION {{schema}}.f() IS 'x';",
    });
    const files = await readMigrationDirectory(directory, { prefix: 'common', allowSchemaToken: true });
    expect(files.map((file) => file.name)).toEqual(['common/0001_fn.sql']);
    const rendered = files.map((file) => renderMigration(file, 'identity')).join('');
    expect(rendered).toContain('CREATE FUNCTION identity.f()');
    expect(rendered).toContain("COMMENT ON FUNCTION identity.f() IS 'x'");
    expect(rendered).not.toContain('{{schema}}');
  });

  it('reports a missing folder as not_found', async () => {
    await expect(
      readMigrationDirectory(join(tmpdir(), 'parley-no-such-folder'), service),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('sql folders of the repository', () => {
  it('hold the prelude in sql/common/ and services in sql/<service>/', async () => {
    expect(commonSqlDirectory).toMatch(/\/sql\/common\/$/);
    expect(serviceSqlDirectory('identity')).toMatch(/\/sql\/identity\/$/);
    const prelude = await readMigrationDirectory(commonSqlDirectory, {
      prefix: 'common',
      allowSchemaToken: true,
    });
    expect(prelude.map((file) => file.name)).toEqual([
      'common/0001_require_utc.sql',
      'common/0002_functions.sql',
      'common/0003_outbox_events.sql',
      'common/0004_processed_messages.sql',
    ]);
  });
});
