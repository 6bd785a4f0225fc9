import { execFile } from 'node:child_process';
import { lstat, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { promisify } from 'node:util';
import { ParleyError } from '@parley/contracts';

/**
 * The terminology check of docs/00010-conventions-permissions.md (section "Words that are not
 * used"): second names for permission concepts must not appear anywhere in the repository, except
 * inside PostgreSQL's own statements that manage database logins and in the listed exceptions.
 */

const execFileAsync = promisify(execFile);

export const termIds = [
  'grant',
  'role',
  'permission group',
  'privilege',
  'ACL',
  'access control',
  'entitlement',
  'permissionset',
  'perm set',
  'permission chain',
] as const;
export type TermId = (typeof termIds)[number];

export interface ForbiddenTerm {
  readonly term: TermId;
  readonly sayInstead: string;
  /** Global; matches the word on its own or as one part of an identifier. */
  readonly pattern: RegExp;
}

// A word counts where it stands alone and where it is one part of an identifier: after `_` or `-`,
// at a camelCase step (`userRoles`) or at the end of an acronym (`ACLEntry`), so renaming a
// variable cannot hide it. Letters are matched in either case explicitly, because an `i` flag
// would also loosen the lookarounds that find the camelCase steps.
const wordStart = '(?:(?<![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]))';
const wordEnd = '(?:(?![A-Za-z0-9])|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]))';
const separator = '[ \\t_-]*';

function anyCase(word: string): string {
  return [...word].map((letter) => `[${letter}${letter.toUpperCase()}]`).join('');
}

function endings(...suffixes: string[]): string {
  return `(?:${suffixes.map(anyCase).join('|')})?`;
}

function term(id: TermId, sayInstead: string, body: string): ForbiddenTerm {
  return { term: id, sayInstead, pattern: new RegExp(`${wordStart}(?:${body})${wordEnd}`, 'g') };
}

export const forbiddenTerms: readonly ForbiddenTerm[] = [
  term('grant', 'assignment, assign', anyCase('grant') + endings('s', 'ed', 'ing')),
  term('role', 'permission set, standing', anyCase('role') + endings('s')),
  term(
    'permission group',
    'permission set',
    anyCase('permission') + separator + anyCase('group') + endings('s'),
  ),
  term('privilege', 'permission', anyCase('privilege') + endings('s')),
  term('ACL', 'permission, assignment', anyCase('acl') + endings('s')),
  term(
    'access control',
    'permission, assignment',
    anyCase('access') + separator + anyCase('control') + endings('s', 'led', 'ling'),
  ),
  term('entitlement', 'permission', anyCase('entitlement') + endings('s')),
  // `permissionSet` is the camelCase of "permission set"; only the run-together word is wrong.
  term('permissionset', 'permission set', '[pP]ermissionsets?|PERMISSIONSETS?'),
  term('perm set', 'permission set', anyCase('perm') + separator + anyCase('set') + endings('s')),
  term(
    'permission chain',
    'compiled permissions',
    anyCase('permission') + separator + anyCase('chain') + endings('s'),
  ),
];

/**
 * PostgreSQL's own statements that manage database logins, keywords in capitals as in all of
 * Parley's SQL. A forbidden word is allowed when it lies in SQL text (see `sqlRangesOf`) and is
 * part of one of these statements, written on one line; anywhere else it is reported.
 */
export const sqlLoginStatements: ReadonlyArray<{ readonly statement: string; readonly pattern: RegExp }> = [
  { statement: 'GRANT … ON … TO …', pattern: /\bGRANT\s[^;]*?\sON\s[^;]*?\sTO\s[^;]+/g },
  { statement: 'GRANT <login> TO …', pattern: /\bGRANT\s+[\w"${}.]+(?:\s*,\s*[\w"${}.]+)*\s+TO\s[^;]+/g },
  { statement: 'REVOKE … FROM …', pattern: /\bREVOKE\s[^;]*?\sFROM\s[^;]+/g },
  { statement: 'CREATE | ALTER | DROP ROLE', pattern: /\b(?:CREATE|ALTER|DROP)\s+ROLE\b[^;]*/g },
  { statement: 'SET ROLE | RESET ROLE', pattern: /\b(?:SET|RESET)\s+ROLE\b[^;]*/g },
  { statement: 'ALTER DEFAULT PRIVILEGES', pattern: /\bALTER\s+DEFAULT\s+PRIVILEGES\b[^;]*/g },
  {
    statement: 'catalog names',
    pattern: /\b(?:pg_roles|pg_authid|pg_auth_members|rolname|rolcanlogin|current_role)\b/g,
  },
  { statement: 'has_*_privilege(…), pg_has_role(…)', pattern: /\b(?:pg_has_role|has_\w+_privilege)\s*\(/g },
];

export interface TermException {
  /** The files it covers: a glob relative to the repository root (`*` within a folder, `**` across). */
  readonly file: string;
  /** The word it allows there, or `*` for every word (only for the files that define the words). */
  readonly term: TermId | '*';
  /** When set, the word is allowed only inside this exact identifier (letters, digits, `_`, `-`). */
  readonly identifier?: string;
  /** Why; required. The same entry, with the same reason, is listed in the conventions document. */
  readonly reason: string;
}

/** The exceptions; docs/00010-conventions-permissions.md lists the same entries. */
export const termExceptions: readonly TermException[] = [
  {
    file: 'docs/00010-conventions-permissions.md',
    term: '*',
    reason: 'defines the words that are not used',
  },
  {
    file: 'libs/permissions/src/language/terminology.ts',
    term: '*',
    reason: 'the check itself: lists the words it looks for',
  },
  {
    file: 'libs/permissions/src/language/terminology.spec.ts',
    term: '*',
    reason: 'test fixtures: proves each word is found',
  },
  {
    file: 'docker-compose.yml',
    term: 'privilege',
    identifier: 'no-new-privileges',
    reason: "Docker's name for the Linux no_new_privs security option",
  },
  {
    file: 'deploy/**/*.yaml',
    term: 'privilege',
    identifier: 'allowPrivilegeEscalation',
    reason: 'a field of the Kubernetes securityContext',
  },
];

/**
 * Generated files whose every word comes from files that are scanned (contracts/src/generate.ts
 * writes them from contracts/src); scanning them again would only repeat findings.
 */
export const generatedFromScannedSources: readonly string[] = [
  'contracts/generated/asyncapi.json',
  'contracts/generated/schemas.json',
  'docs/generated/permissions.md',
  'docs/generated/subjects.md',
];

export interface TermViolation {
  /** Path relative to the repository root, `/`-separated. */
  file: string;
  /** 1-based. */
  line: number;
  term: TermId;
  /** The line, trimmed and cut to 200 characters. */
  text: string;
}

export interface ScanOptions {
  exceptions?: readonly TermException[];
}

export interface ScanReport {
  /** Every file that was read and scanned. */
  files: string[];
  violations: TermViolation[];
  /** Exceptions that allowed nothing: stale entries to remove. */
  unusedExceptions: TermException[];
}

/** One line per violation, with the word to use instead. */
export function formatViolation(violation: TermViolation): string {
  const sayInstead = forbiddenTerms.find((entry) => entry.term === violation.term)?.sayInstead;
  return `${violation.file}:${violation.line}: "${violation.term}" (say ${sayInstead}): ${violation.text}`;
}

/** Scans one file's text; `file` (relative to the root) decides which parts are SQL. */
export function scanText(file: string, text: string, options: ScanOptions = {}): TermViolation[] {
  return scan(file, text, compileExceptions(options.exceptions ?? termExceptions), new Set());
}

/** Every violation in the repository at `root`. */
export async function scanRepository(root: string, options: ScanOptions = {}): Promise<TermViolation[]> {
  return (await scanRepositoryReport(root, options)).violations;
}

export async function scanRepositoryReport(root: string, options: ScanOptions = {}): Promise<ScanReport> {
  const exceptions = options.exceptions ?? termExceptions;
  const compiled = compileExceptions(exceptions);
  const used = new Set<number>();
  const files: string[] = [];
  const violations: TermViolation[] = [];
  const candidates = await repositoryFiles(root);
  // A few reads at a time: fast enough, and kind to a machine shared with other work.
  for (let start = 0; start < candidates.length; start += 16) {
    const texts = await Promise.all(candidates.slice(start, start + 16).map((file) => readText(root, file)));
    texts.forEach((text, index) => {
      const file = candidates[start + index] as string;
      if (text !== undefined) {
        files.push(file);
        violations.push(...scan(file, text, compiled, used));
      }
    });
  }
  return {
    files,
    violations,
    unusedExceptions: exceptions.filter((_exception, index) => !used.has(index)),
  };
}

/**
 * The files git tracks plus those it would track (untracked, not ignored), without lock files and
 * generated files whose sources are scanned. Sorted, `/`-separated, relative to the root.
 */
export async function repositoryFiles(root: string): Promise<string[]> {
  const list = async (args: string[]): Promise<string[]> => {
    try {
      const { stdout } = await execFileAsync('git', ['ls-files', '-z', ...args], {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout.split('\0').filter((file) => file !== '');
    } catch (error) {
      throw new ParleyError('validation_failed', 'The terminology check needs a git work tree', {
        root,
        cause: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const [tracked, untracked] = await Promise.all([list([]), list(['--others', '--exclude-standard'])]);
  return [...new Set([...tracked, ...untracked])]
    .filter((file) => basename(file) !== 'package-lock.json' && !generatedFromScannedSources.includes(file))
    .sort();
}

/** The file's text, or undefined for what is not text of this repository. */
async function readText(root: string, file: string): Promise<string | undefined> {
  const path = join(root, file);
  let content: Buffer;
  try {
    // A symbolic link's target is not this repository's text (it may point anywhere).
    if (!(await lstat(path)).isFile()) {
      return undefined;
    }
    content = await readFile(path);
  } catch (error) {
    if (isMissing(error)) {
      return undefined; // tracked, but deleted in the work tree
    }
    throw error;
  }
  return content.includes(0) ? undefined : content.toString('utf8');
}

// Structural, not `instanceof Error`: errors of Node's fs may come from another realm (Jest's VM).
function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

interface CompiledException {
  readonly index: number;
  readonly file: RegExp;
  readonly term: TermId | '*';
  readonly identifier: string | undefined;
}

function compileExceptions(exceptions: readonly TermException[]): CompiledException[] {
  return exceptions.map((exception, index) => {
    const details = { file: exception.file, term: exception.term };
    if (typeof exception.reason !== 'string' || exception.reason.trim() === '') {
      throw new ParleyError('validation_failed', 'A terminology exception needs a reason', details);
    }
    if (exception.file.trim() === '') {
      throw new ParleyError('validation_failed', 'A terminology exception needs a file glob', details);
    }
    if (exception.term !== '*' && !(termIds as readonly string[]).includes(exception.term)) {
      throw new ParleyError('validation_failed', 'A terminology exception names an unknown word', details);
    }
    return {
      index,
      file: globToRegExp(exception.file),
      term: exception.term,
      identifier: exception.identifier,
    };
  });
}

/** `**` spans folders (followed by a slash, also none); `*` and `?` stay within one; the rest is literal. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

interface Hit {
  readonly term: TermId;
  readonly start: number;
  readonly end: number;
}

function scan(
  file: string,
  text: string,
  exceptions: readonly CompiledException[],
  used: Set<number>,
): TermViolation[] {
  const lines = text.split('\n');
  const sqlRanges = sqlRangesOf(file, text, lines);
  const forFile = exceptions.filter((exception) => exception.file.test(file));
  const violations: TermViolation[] = [];
  lines.forEach((line, index) => {
    const reported = new Set<TermId>();
    const sql = sqlRanges[index] ?? [];
    let statements: Range[] | undefined;
    for (const hit of hitsOn(line)) {
      if (reported.has(hit.term)) {
        continue;
      }
      if (within(hit, sql) && within(hit, (statements ??= loginStatementSpans(line)))) {
        continue;
      }
      const identifier = identifierAround(line, hit);
      const exception = forFile.find(
        (candidate) =>
          (candidate.term === '*' || candidate.term === hit.term) &&
          (candidate.identifier === undefined || candidate.identifier === identifier),
      );
      if (exception) {
        used.add(exception.index);
        continue;
      }
      reported.add(hit.term);
      violations.push({ file, line: index + 1, term: hit.term, text: line.trim().slice(0, 200) });
    }
  });
  return violations;
}

function hitsOn(line: string): Hit[] {
  const hits: Hit[] = [];
  for (const { term, pattern } of forbiddenTerms) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
      hits.push({ term, start: match.index, end: match.index + match[0].length });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
}

function identifierAround(line: string, hit: Hit): string {
  let start = hit.start;
  let end = hit.end;
  while (start > 0 && /[\w-]/.test(line[start - 1] as string)) {
    start -= 1;
  }
  while (end < line.length && /[\w-]/.test(line[end] as string)) {
    end += 1;
  }
  return line.slice(start, end);
}

type Range = readonly [start: number, end: number];

/** The spans of the line that are login statements (a string literal may be split by `+`). */
function loginStatementSpans(line: string): Range[] {
  const spans: Range[] = [];
  for (const { pattern } of sqlLoginStatements) {
    pattern.lastIndex = 0;
    for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) {
      spans.push([match.index, match.index + match[0].length]);
    }
  }
  return spans;
}

function within(hit: Hit, ranges: readonly Range[]): boolean {
  return ranges.some(([from, to]) => hit.start >= from && hit.end <= to);
}

const scriptExtensions = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx']);
const markdownExtensions = new Set(['.md', '.markdown']);
const sqlFenceLanguages = new Set(['sql', 'psql', 'pgsql', 'plpgsql', 'postgres', 'postgresql']);

/**
 * For each line, the ranges that are SQL text: the whole line in a `.sql` file and in a Markdown
 * code block marked as SQL; in TypeScript and JavaScript, the string literals (a template literal
 * with its `${…}` parts, which stand for names in the statement).
 */
export function sqlRangesOf(file: string, text: string, lines = text.split('\n')): Range[][] {
  const extension = extname(file).toLowerCase();
  if (extension === '.sql') {
    return lines.map((line) => [[0, line.length]]);
  }
  if (markdownExtensions.has(extension)) {
    const inSql = markdownSqlLines(lines);
    return lines.map((line, index) => (inSql[index] ? [[0, line.length]] : []));
  }
  if (!scriptExtensions.has(extension)) {
    return lines.map(() => []);
  }
  const mask = stringLiteralMask(text);
  let offset = 0;
  return lines.map((line) => {
    const ranges: Array<[number, number]> = [];
    for (let column = 0; column < line.length; column += 1) {
      if (mask[offset + column] === 1) {
        const last = ranges.at(-1);
        if (last && last[1] === column) {
          last[1] = column + 1;
        } else {
          ranges.push([column, column + 1]);
        }
      }
    }
    offset += line.length + 1;
    return ranges;
  });
}

function markdownSqlLines(lines: readonly string[]): boolean[] {
  let fence: { marker: string; sql: boolean } | undefined;
  return lines.map((line) => {
    const match = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (fence === undefined) {
      if (match) {
        fence = {
          marker: match[1] as string,
          sql: sqlFenceLanguages.has((match[2] as string).toLowerCase()),
        };
      }
      return false;
    }
    const marker = match?.[1];
    if (
      marker !== undefined &&
      match?.[2] === '' &&
      marker[0] === fence.marker[0] &&
      marker.length >= fence.marker.length
    ) {
      fence = undefined;
      return false;
    }
    return fence.sql;
  });
}

// After these words an expression starts, so `/` opens a regular expression, not a division.
const keywordsBeforeExpression = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/**
 * 1 for every character of a string literal in TypeScript or JavaScript source (quotes included;
 * for a template literal also its `${…}` parts), 0 for code, comments and regular expressions.
 * A lexer, not a parser: enough to tell strings from the rest in ordinary source.
 */
export function stringLiteralMask(source: string): Uint8Array {
  const mask = new Uint8Array(source.length);
  const length = source.length;
  // For each open `${`, the brace depth at which its `}` closes it.
  const substitutions: number[] = [];
  let depth = 0;
  let inTemplate = false;
  let regexAllowed = true;
  let i = 0;
  while (i < length) {
    const start = i;
    const char = source[i] as string;
    if (inTemplate) {
      while (i < length && source[i] !== '`' && !(source[i] === '$' && source[i + 1] === '{')) {
        i += source[i] === '\\' ? 2 : 1;
      }
      if (source[i] === '`') {
        i += 1;
        inTemplate = false;
        regexAllowed = false;
      } else if (i < length) {
        i += 2;
        substitutions.push(depth);
        inTemplate = false;
        regexAllowed = true;
      }
      mask.fill(1, start, Math.min(i, length));
      continue;
    }
    const next = source[i + 1];
    let isString = false;
    if (char === '/' && next === '/') {
      i = source.indexOf('\n', i);
      i = i === -1 ? length : i;
    } else if (char === '/' && next === '*') {
      i = source.indexOf('*/', i + 2);
      i = i === -1 ? length : i + 2;
    } else if (char === "'" || char === '"') {
      i += 1;
      while (i < length && source[i] !== char && source[i] !== '\n') {
        i += source[i] === '\\' ? 2 : 1;
      }
      i = source[i] === char ? i + 1 : i;
      isString = true;
      regexAllowed = false;
    } else if (char === '`') {
      i += 1;
      inTemplate = true;
      isString = true;
    } else if (char === '/') {
      const end: number | undefined = regexAllowed ? regexEnd(source, i) : undefined;
      i = end ?? i + 1;
      regexAllowed = end === undefined;
    } else if (/[\w$]/.test(char)) {
      const word = /^[\w$]+/.exec(source.slice(i, i + 64))?.[0] ?? char;
      i += word.length;
      regexAllowed = keywordsBeforeExpression.has(word);
    } else if (char === '}' && substitutions.at(-1) === depth) {
      substitutions.pop();
      i += 1;
      inTemplate = true;
      isString = true;
    } else {
      depth += char === '{' ? 1 : char === '}' ? -1 : 0;
      i += 1;
      if (!/\s/.test(char)) {
        regexAllowed = char !== ')' && char !== ']';
      }
    }
    if (isString || substitutions.length > 0) {
      mask.fill(1, start, Math.min(i, length));
    }
  }
  return mask;
}

/** The index after a regular expression literal starting at `start`, or undefined if there is none. */
function regexEnd(source: string, start: number): number | undefined {
  let inClass = false;
  for (let i = start + 1; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') {
      i += 1;
    } else if (char === '\n') {
      return undefined;
    } else if (char === '[') {
      inClass = true;
    } else if (char === ']') {
      inClass = false;
    } else if (char === '/' && !inClass) {
      let end = i + 1;
      while (end < source.length && /[a-z]/.test(source[end] as string)) {
        end += 1;
      }
      return end;
    }
  }
  return undefined;
}
