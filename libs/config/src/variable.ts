import { z } from 'zod';

/** How a variable is documented and treated, besides its type. */
export interface VariableOptions {
  /** What the variable is for: shown in start-up errors and in the generated docs. */
  readonly description: string;
  /** Raw value used when the variable is unset or empty; it is parsed like any other value. */
  readonly default?: string;
  /** Never printed: redacted by `redactConfig`, its value left out of every error. */
  readonly secret?: boolean;
  /** Unset is acceptable and yields `undefined` (irrelevant when a default is given). */
  readonly optional?: boolean;
}

declare const outputType: unique symbol;

/** One environment variable: the schema that parses its raw string, and its documentation. */
export interface Variable<T = unknown> {
  readonly schema: z.ZodType;
  readonly description: string;
  readonly default: string | undefined;
  readonly secret: boolean;
  readonly optional: boolean;
  /** Type-level only: what `loadConfig` yields for this variable. */
  readonly [outputType]?: T;
}

/** `T`, or `T | undefined` for an optional variable without a default. */
export type Resolved<T, O extends VariableOptions> = O extends { optional: true }
  ? O extends { default: string }
    ? T
    : T | undefined
  : T;

/** A variable parsed by any zod schema that accepts a string. */
export function variable<S extends z.ZodType, const O extends VariableOptions>(
  schema: S,
  options: O,
): Variable<Resolved<z.output<S>, O>> {
  return Object.freeze({
    schema,
    description: options.description,
    default: options.default,
    secret: options.secret ?? false,
    optional: options.optional ?? false,
  });
}

/** The same variable, but required: e.g. `DATABASE_ADMIN_URL` for the migrate command. */
export function requiredVariable<T>(variable: Variable<T>): Variable<Exclude<T, undefined>> {
  return Object.freeze({ ...variable, optional: false }) as Variable<Exclude<T, undefined>>;
}

/** The same variable, but optional: unset yields `undefined` (unless it has a default). */
export function optionalVariable<T>(variable: Variable<T>): Variable<T | undefined> {
  return Object.freeze({ ...variable, optional: true });
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const durationPattern = /^(\d+(ms|s|m|h|d))+$/;
const durationPart = /(\d+)(ms|s|m|h|d)/g;

/** `1h30m` → 5 400 000; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!durationPattern.test(text)) {
    return undefined;
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(durationPart)) {
    total += Number(amount) * (units[unit as string] as number);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

function integer(min: number, max: number, what: string) {
  return z
    .string()
    .regex(/^-?\d+$/, `Expected ${what}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `Expected ${what} of at least ${min}`)
        .max(max, `Expected ${what} of at most ${max}`),
    );
}

export interface StringOptions extends VariableOptions {
  readonly minLength?: number;
  /** The whole value must match it. */
  readonly pattern?: RegExp;
  /** Says what the pattern expects, for the error message. */
  readonly patternHint?: string;
}

export interface UrlOptions extends VariableOptions {
  /** Accepted protocols without the colon, e.g. `['postgres', 'postgresql']`; any when omitted. */
  readonly protocols?: readonly string[];
}

export interface IntOptions extends VariableOptions {
  readonly min?: number;
  readonly max?: number;
}

export interface DurationOptions extends VariableOptions {
  /** Smallest accepted value in milliseconds. */
  readonly minMs?: number;
  /** Largest accepted value in milliseconds. */
  readonly maxMs?: number;
}

export interface ListOptions extends VariableOptions {
  /** Parses each comma-separated item (a string); plain strings when omitted. */
  readonly item?: z.ZodType;
}

/** Element type of a list variable. */
export type ListItem<O extends ListOptions> = O extends { item: infer S extends z.ZodType }
  ? z.output<S>
  : string;

/**
 * Helpers for the common kinds of variable. Each takes the variable's options and returns a
 * `Variable` whose parsed type follows from the kind (and from `optional`).
 */
export const env = {
  /** Any text. */
  string<const O extends StringOptions>(options: O): Variable<Resolved<string, O>> {
    let schema = z.string();
    if (options.minLength !== undefined) {
      schema = schema.min(options.minLength, `Expected at least ${options.minLength} characters`);
    }
    if (options.pattern) {
      schema = schema.regex(
        options.pattern,
        options.patternHint ?? `Expected to match ${String(options.pattern)}`,
      );
    }
    return variable(schema, options);
  },

  /** An absolute URL, kept as text (drivers take connection strings). */
  url<const O extends UrlOptions>(options: O): Variable<Resolved<string, O>> {
    const protocols = options.protocols;
    const expected = protocols ? `a URL (${protocols.map((p) => `${p}://`).join(', ')})` : 'a URL';
    const schema = z.string().refine((value) => {
      if (!URL.canParse(value)) {
        return false;
      }
      return protocols === undefined || protocols.includes(new URL(value).protocol.slice(0, -1));
    }, `Expected ${expected}`);
    return variable(schema, options);
  },

  /** A TCP port, 0 (any free port) to 65535. */
  port<const O extends VariableOptions>(options: O): Variable<Resolved<number, O>> {
    return variable(integer(0, 65_535, 'a port number'), options);
  },

  /** A whole number. */
  int<const O extends IntOptions>(options: O): Variable<Resolved<number, O>> {
    const min = options.min ?? Number.MIN_SAFE_INTEGER;
    const max = options.max ?? Number.MAX_SAFE_INTEGER;
    return variable(integer(min, max, 'a whole number'), options);
  },

  /** Exactly `true` or `false`. */
  boolean<const O extends VariableOptions>(options: O): Variable<Resolved<boolean, O>> {
    const schema = z
      .string()
      .refine((value) => value === 'true' || value === 'false', 'Expected true or false')
      .transform((value) => value === 'true');
    return variable(schema, options);
  },

  /** One of a fixed set of values. */
  enum<const V extends readonly [string, ...string[]], const O extends VariableOptions>(
    values: V,
    options: O,
  ): Variable<Resolved<V[number], O>> {
    const schema = z
      .string()
      .refine((value) => values.includes(value), `Expected one of ${values.join(', ')}`);
    return variable(schema as z.ZodType<V[number]>, options);
  },

  /** A duration such as `500ms`, `30s`, `15m`, `2h`, `1d` or `1h30m`, in milliseconds. */
  duration<const O extends DurationOptions>(options: O): Variable<Resolved<number, O>> {
    const min = options.minMs ?? 0;
    const max = options.maxMs ?? Number.MAX_SAFE_INTEGER;
    const schema = z.string().transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'Expected a duration such as 500ms, 30s, 15m, 2h or 1d' });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `Expected a duration between ${min}ms and ${max}ms` });
        return z.NEVER;
      }
      return ms;
    });
    return variable(schema, options);
  },

  /** Comma-separated items, trimmed, empty items dropped. */
  list<const O extends ListOptions>(options: O): Variable<Resolved<ListItem<O>[], O>> {
    const item = (options.item ?? z.string()) as z.ZodType<unknown, string>;
    const schema = z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0),
      )
      .pipe(z.array(item));
    return variable(schema as z.ZodType<ListItem<O>[]>, options);
  },
};
