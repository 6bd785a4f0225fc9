import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The terminology check of docs/00010-conventions-permissions.md: words that would be second names
 * for permission concepts must not appear anywhere in the repository, except PostgreSQL's own
 * statements that manage database logins and the listed exceptions.
 */
export interface ForbiddenTerm {
  term: string;
  pattern: RegExp;
  insteadSay: string;
}

export const forbiddenTerms: readonly ForbiddenTerm[] = [
  { term: 'grant', pattern: /\bgrant(s|ed|ing)?\b/i, insteadSay: 'assignment, assign' },
  { term: 'role', pattern: /\broles?\b/i, insteadSay: 'permission set, standing' },
  { term: 'permission group', pattern: /\bpermission[ _-]?groups?\b/i, insteadSay: 'permission set' },
  { term: 'privilege', pattern: /\bprivileges?\b/i, insteadSay: 'permission' },
  {
    term: 'access control list',
    pattern: /\b(acls?|access[ -]control([ -]lists?)?)\b/i,
    insteadSay: 'permission, assignment',
  },
  { term: 'entitlement', pattern: /\bentitlements?\b/i, insteadSay: 'permission' },
  { term: 'permission chain', pattern: /\bpermission[ _-]?chains?\b/i, insteadSay: 'compiled permissions' },
];

/**
 * PostgreSQL's vocabulary for database logins: a line that is one of these statements may use
 * GRANT, REVOKE, ROLE and PRIVILEGES.
 */
const loginManagement: readonly RegExp[] = [
  /\bGRANT\s+[A-Z, ]+\s+ON\s+.*\bTO\b/,
  /\bGRANT\s+\S+\s+TO\b/,
  /\bREVOKE\s+[A-Z, ]+(\s+ON\s+.*)?\s+FROM\b/,
  /\b(CREATE|ALTER|DROP)\s+ROLE\b/,
  /\bALTER\s+DEFAULT\s+PRIVILEGES\b/,
  /\bpg_roles\b|\bpg_authid\b|\brolname\b|\brolcanlogin\b/,
  /\bhas_\w+_privilege\(/,
];

export interface TermException {
  /** Path relative to the repository root. */
  file: string;
  term: string;
  reason: string;
}

export const termExceptions: readonly TermException[] = [
  {
    file: 'docker-compose.yml',
    term: 'privilege',
    reason: "`no-new-privileges` is Docker's security option name",
  },
  { file: 'docs/00010-conventions-permissions.md', term: '*', reason: 'defines the words that are not used' },
  { file: 'libs/testing/src/terminology.ts', term: '*', reason: 'lists the words that are not used' },
  { file: 'libs/testing/src/terminology.spec.ts', term: '*', reason: 'proves each word is found' },
];

export interface TermViolation {
  file: string;
  line: number;
  term: string;
  text: string;
  insteadSay: string;
}

/** Terms used on one line of text, PostgreSQL login statements excepted. */
export function termsOnLine(line: string): ForbiddenTerm[] {
  if (loginManagement.some((statement) => statement.test(line))) {
    return [];
  }
  return forbiddenTerms.filter((term) => term.pattern.test(line));
}

export function scanText(
  file: string,
  text: string,
  exceptions: readonly TermException[] = termExceptions,
): TermViolation[] {
  const excepted = (term: string): boolean =>
    exceptions.some(
      (exception) => exception.file === file && (exception.term === '*' || exception.term === term),
    );
  const violations: TermViolation[] = [];
  text.split('\n').forEach((line, index) => {
    for (const term of termsOnLine(line)) {
      if (!excepted(term.term)) {
        violations.push({
          file,
          line: index + 1,
          term: term.term,
          text: line.trim().slice(0, 200),
          insteadSay: term.insteadSay,
        });
      }
    }
  });
  return violations;
}

/** Files git tracks or would track (untracked but not ignored); lock files are data, not words. */
export function repositoryFiles(root: string): string[] {
  const list = (args: string[]): string[] =>
    execFileSync('git', ['ls-files', '-z', ...args], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
  return [...new Set([...list([]), ...list(['--others', '--exclude-standard'])])].filter(
    (file) => !file.endsWith('package-lock.json'),
  );
}

export function scanRepository(
  root: string,
  exceptions: readonly TermException[] = termExceptions,
): TermViolation[] {
  const violations: TermViolation[] = [];
  for (const file of repositoryFiles(root)) {
    let text: string;
    try {
      text = readFileSync(join(root, file), 'utf8');
    } catch {
      continue; // deleted in the work tree
    }
    if (text.includes('\0')) {
      continue; // binary
    }
    violations.push(...scanText(file, text, exceptions));
  }
  return violations;
}
