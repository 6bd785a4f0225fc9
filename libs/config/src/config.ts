import { ParleyError } from '@parley/contracts';
import type { Variable } from './variable.js';

/** Variable names mapped to their definitions. Names are kept as is, e.g. `DATABASE_URL`. */
export type ConfigDefinition = Readonly<Record<string, Variable>>;

/**
 * The parsed configuration. Keys keep the environment names (`config.DATABASE_URL`), so one name
 * is grepped across code, manifests and docs.
 */
export type ConfigOf<D extends ConfigDefinition> = {
  readonly [K in keyof D]: D[K] extends Variable<infer T> ? T : never;
};

/** Where the raw values come from. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** One variable that could not be used. Never carries the value of a secret. */
export interface ConfigProblem {
  readonly name: string;
  readonly problem: string;
  readonly description: string;
}

/** Start-up failure listing every missing or invalid variable at once. */
export class ConfigError extends ParleyError {
  constructor(
    readonly problems: readonly ConfigProblem[],
    headline = 'Invalid configuration',
  ) {
    super(
      'validation_failed',
      [
        `${headline}: ${problems.length} variable${problems.length === 1 ? '' : 's'} to fix`,
        ...problems.map((p) => `  - ${p.name}: ${p.problem} (${p.description})`),
      ].join('\n'),
      { variables: problems.map((p) => ({ ...p })) },
    );
  }
}

const namePattern = /^[A-Z][A-Z0-9_]*$/;
const maxShownLength = 80;

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

function parse(variable: Variable, raw: string): Parsed {
  const result = variable.schema.safeParse(raw);
  if (result.success) {
    return { ok: true, value: result.data };
  }
  const messages = result.error.issues.map((issue) =>
    issue.path.length > 0 ? `item ${issue.path.map(String).join('.')}: ${issue.message}` : issue.message,
  );
  return { ok: false, problem: [...new Set(messages)].join('; ') };
}

function shown(raw: string): string {
  return raw.length > maxShownLength
    ? `${JSON.stringify(raw.slice(0, maxShownLength))}…`
    : JSON.stringify(raw);
}

/**
 * Declares a service's variables. Checks the names and that every default parses, so a broken
 * definition fails in the first test that imports it rather than in production.
 */
export function defineConfig<const D extends ConfigDefinition>(definition: D): D {
  const problems: ConfigProblem[] = [];
  for (const [name, variable] of Object.entries(definition)) {
    if (!namePattern.test(name)) {
      problems.push({ name, problem: 'name must be UPPER_SNAKE_CASE', description: variable.description });
    }
    if (variable.default !== undefined) {
      const parsed = parse(variable, variable.default);
      if (!parsed.ok) {
        const which = variable.secret ? 'default (hidden)' : `default ${shown(variable.default)}`;
        problems.push({
          name,
          problem: `${which} is invalid: ${parsed.problem}`,
          description: variable.description,
        });
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems, 'Invalid configuration definition');
  }
  return Object.freeze({ ...definition });
}

/**
 * Parses every variable of `definition` from `env` and returns the frozen, typed configuration.
 * An empty value counts as unset. Throws one `ConfigError` listing every problem.
 *
 * This default argument is the only place in Parley that reads `process.env`.
 */
export function loadConfig<D extends ConfigDefinition>(
  definition: D,
  env: EnvSource = process.env,
): ConfigOf<D> {
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, variable] of Object.entries(definition)) {
    const given = env[name];
    const raw = given === undefined || given === '' ? variable.default : given;
    if (raw === undefined) {
      if (variable.optional) {
        values[name] = undefined;
      } else {
        problems.push({ name, problem: 'not set', description: variable.description });
      }
      continue;
    }
    const parsed = parse(variable, raw);
    if (parsed.ok) {
      values[name] = parsed.value;
    } else {
      problems.push({
        name,
        problem: variable.secret
          ? `${parsed.problem} (value hidden)`
          : `${parsed.problem}, got ${shown(raw)}`,
        description: variable.description,
      });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze(values) as ConfigOf<D>;
}

const userInfoUrl = /^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i;

/**
 * The configuration as it may be logged: secrets become `[secret]`, and a password inside any
 * other URL is masked too.
 */
export function redactConfig<D extends ConfigDefinition>(
  config: ConfigOf<D>,
  definition: D,
): Record<keyof D & string, unknown> {
  const redacted: Record<string, unknown> = {};
  for (const [name, variable] of Object.entries(definition)) {
    const value: unknown = (config as Record<string, unknown>)[name];
    if (variable.secret && value !== undefined) {
      redacted[name] = '[secret]';
    } else if (typeof value === 'string') {
      redacted[name] = value.replace(userInfoUrl, '$1:***@');
    } else {
      redacted[name] = value;
    }
  }
  return redacted;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A Markdown table of the variables (name, default, secret, description), for docs/. */
export function describeConfig(definition: ConfigDefinition): string {
  const rows = Object.entries(definition).map(([name, variable]) => {
    const fallback =
      variable.default === undefined
        ? variable.optional
          ? '(unset)'
          : '**required**'
        : variable.secret
          ? '[secret]' // a development default; production sets its own
          : variable.default === ''
            ? '(empty)'
            : `\`${cell(variable.default)}\``;
    return `| \`${name}\` | ${fallback} | ${variable.secret ? 'yes' : 'no'} | ${cell(variable.description)} |`;
  });
  return ['| name | default | secret | description |', '|---|---|---|---|', ...rows, ''].join('\n');
}
