import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scanRepository } from '@parley/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('one language (docs/00010-conventions-permissions.md)', () => {
  it('uses none of the words that are not used, anywhere in the repository', () => {
    const violations = scanRepository(root).map(
      (violation) =>
        `${violation.file}:${violation.line} "${violation.term}" (say: ${violation.insteadSay}): ${violation.text}`,
    );
    expect(violations).toEqual([]);
  });
});
