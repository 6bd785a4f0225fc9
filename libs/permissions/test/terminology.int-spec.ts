import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatViolation,
  scanRepositoryReport,
  termExceptions,
  type ScanReport,
} from '../src/language/terminology.js';

// libs/permissions/test/<this file> → the repository root.
const root = resolve(fileURLToPath(import.meta.url), '../../../..');
const conventions = 'docs/00010-conventions-permissions.md';

describe('one language (docs/00010-conventions-permissions.md)', () => {
  let report: ScanReport;

  beforeAll(async () => {
    report = await scanRepositoryReport(root);
  });

  it('reads the whole repository, SQL and all', () => {
    expect(report.files.length).toBeGreaterThan(100);
    expect(report.files).toEqual(
      expect.arrayContaining([
        conventions,
        'docs/00010-conventions-sql.md',
        'libs/db/src/migration-runner.ts',
      ]),
    );
  });

  it('uses none of the words that are not used, anywhere', () => {
    expect(report.violations.map(formatViolation)).toEqual([]);
  });

  it('has no exception that allows nothing', () => {
    expect(report.unusedExceptions).toEqual([]);
  });

  it('lists in the document exactly the exceptions the check applies', async () => {
    const text = await readFile(join(root, conventions), 'utf8');
    const section = text.split(/^#+ /m).find((part) => part.startsWith('Exceptions'));
    const rows = (section ?? '')
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .slice(2) // header and separator
      .map((line) =>
        line
          .slice(1, -1)
          .split('|')
          .map((cell) => cell.trim().replace(/^`(.*)`$/, '$1')),
      );
    expect(rows).toEqual(
      termExceptions.map((exception) => [
        exception.file,
        exception.term,
        exception.identifier ?? '—',
        exception.reason,
      ]),
    );
  });
});
