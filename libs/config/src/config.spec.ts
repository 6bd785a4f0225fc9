import { ParleyError } from '@parley/contracts';
import { z } from 'zod';
import { commonVariables, type LogLevel } from './common.js';
import {
  ConfigError,
  type ConfigOf,
  defineConfig,
  describeConfig,
  loadConfig,
  redactConfig,
} from './config.js';
import { env, optionalVariable, parseDuration, requiredVariable, variable } from './variable.js';

const definition = defineConfig({
  ...commonVariables,
  ACCESS_TOKEN_TTL: env.duration({ description: 'Lifetime of an access token', default: '15m' }),
  SIGNUP_OPEN: env.boolean({ description: 'Whether anyone may register', default: 'false' }),
  MAX_UPLOAD_MB: env.int({ description: 'Largest upload', default: '25', min: 1, max: 1024 }),
  ALLOWED_ORIGINS: env.list({ description: 'Origins allowed by CORS', default: 'http://localhost:5173' }),
  SIGNING_SECRET: env.string({ description: 'Key material', secret: true, minLength: 8 }),
  NICKNAME: env.string({ description: 'Optional label', optional: true }),
});

const validEnv = {
  DATABASE_URL: 'postgres://identity:s3cret@db:5432/parley',
  SIGNING_SECRET: 'abcdefghijk',
};

describe('loadConfig', () => {
  it('parses every kind and applies defaults', () => {
    const config = loadConfig(definition, validEnv);
    expect(config).toEqual({
      DATABASE_URL: 'postgres://identity:s3cret@db:5432/parley',
      DATABASE_ADMIN_URL: undefined,
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_NAMESPACE: '',
      HTTP_PORT: 3000,
      LOG_LEVEL: 'info',
      RESPONSE_VALIDATION: 'strict',
      ACCESS_TOKEN_TTL: 900_000,
      SIGNUP_OPEN: false,
      MAX_UPLOAD_MB: 25,
      ALLOWED_ORIGINS: ['http://localhost:5173'],
      SIGNING_SECRET: 'abcdefghijk',
      NICKNAME: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('types the result from the definition', () => {
    const config: ConfigOf<typeof definition> = loadConfig(definition, validEnv);
    const port: number = config.HTTP_PORT;
    const level: LogLevel = config.LOG_LEVEL;
    const admin: string | undefined = config.DATABASE_ADMIN_URL;
    const origins: string[] = config.ALLOWED_ORIGINS;
    const open: boolean = config.SIGNUP_OPEN;
    expect([port, level, admin, origins, open]).toEqual([
      3000,
      'info',
      undefined,
      ['http://localhost:5173'],
      false,
    ]);
  });

  it('takes given values over defaults and treats an empty value as unset', () => {
    const config = loadConfig(definition, {
      ...validEnv,
      DATABASE_ADMIN_URL: 'postgresql://postgres@db/parley',
      NATS_URL: 'tls://nats.internal:4222',
      NATS_NAMESPACE: 't-w1ab12',
      HTTP_PORT: '0',
      LOG_LEVEL: '',
      ACCESS_TOKEN_TTL: '1h30m',
      SIGNUP_OPEN: 'true',
      ALLOWED_ORIGINS: ' https://a.example , ,https://b.example ',
      NICKNAME: 'edge',
    });
    expect(config.DATABASE_ADMIN_URL).toBe('postgresql://postgres@db/parley');
    expect(config.NATS_URL).toBe('tls://nats.internal:4222');
    expect(config.NATS_NAMESPACE).toBe('t-w1ab12');
    expect(config.HTTP_PORT).toBe(0);
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.ACCESS_TOKEN_TTL).toBe(5_400_000);
    expect(config.SIGNUP_OPEN).toBe(true);
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config.NICKNAME).toBe('edge');
  });

  it('lists every bad or missing variable with its description, never a secret value', () => {
    const error = captureConfigError(() =>
      loadConfig(definition, {
        DATABASE_URL: 'mysql://root:hunter2@db/parley',
        HTTP_PORT: '70000',
        LOG_LEVEL: 'verbose',
        ACCESS_TOKEN_TTL: '15 minutes',
        SIGNUP_OPEN: 'yes',
        MAX_UPLOAD_MB: '2.5',
        NATS_NAMESPACE: 'a.b',
        NATS_URL: 'not a url',
      }),
    );
    expect(error).toBeInstanceOf(ParleyError);
    expect(error.code).toBe('validation_failed');
    expect(error.problems.map((p) => p.name)).toEqual([
      'DATABASE_URL',
      'NATS_URL',
      'NATS_NAMESPACE',
      'HTTP_PORT',
      'LOG_LEVEL',
      'ACCESS_TOKEN_TTL',
      'SIGNUP_OPEN',
      'MAX_UPLOAD_MB',
      'SIGNING_SECRET',
    ]);
    expect(error.message).toContain('9 variables to fix');
    expect(error.message).toContain(
      'DATABASE_URL: Expected a URL (postgres://, postgresql://) (value hidden)',
    );
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('SIGNING_SECRET: not set (Key material)');
    expect(error.message).toContain('HTTP_PORT: Expected a port number of at most 65535, got "70000"');
    expect(error.message).toContain(
      'LOG_LEVEL: Expected one of fatal, error, warn, info, debug, trace, silent',
    );
    expect(error.message).toContain('ACCESS_TOKEN_TTL: Expected a duration such as 500ms');
    expect(error.message).toContain('SIGNUP_OPEN: Expected true or false, got "yes"');
    expect(error.message).toContain('MAX_UPLOAD_MB: Expected a whole number, got "2.5"');
    expect(error.message).toContain('NATS_NAMESPACE: Expected letters, digits, "-" and "_" only');
    expect(error.message).toContain('(NATS server the service connects to)');
    expect(JSON.stringify(error.details)).not.toContain('hunter2');
  });

  it('hides a bad secret value even when it is long, and shortens long plain values', () => {
    const long = 'x'.repeat(200);
    const error = captureConfigError(() =>
      loadConfig(definition, { ...validEnv, SIGNING_SECRET: 'short', NATS_URL: long }),
    );
    expect(error.message).toContain('SIGNING_SECRET: Expected at least 8 characters (value hidden)');
    expect(error.message).not.toContain('short"');
    expect(error.message).toContain(`got "${'x'.repeat(80)}"…`);
    expect(error.message).not.toContain('x'.repeat(81));
  });

  it('says "1 variable" for a single problem', () => {
    const error = captureConfigError(() => loadConfig(definition, { SIGNING_SECRET: 'abcdefghijk' }));
    expect(error.message.split('\n')[0]).toBe('Invalid configuration: 1 variable to fix');
  });

  it('reports the failing item of a list', () => {
    const ports = defineConfig({
      PEERS: env.list({ description: 'Peer ports', item: z.coerce.number().int().positive() }),
    });
    const peers: number[] = loadConfig(ports, { PEERS: '1, 2,3' }).PEERS;
    expect(peers).toEqual([1, 2, 3]);
    const error = captureConfigError(() => loadConfig(ports, { PEERS: '1,-2' }));
    expect(error.message).toMatch(/PEERS: item 1: Too small/);
  });

  it('enforces the bounds of ints and durations', () => {
    const bounded = defineConfig({
      WORKERS: env.int({ description: 'Workers', min: 1, max: 8 }),
      POLL: env.duration({ description: 'Poll interval', minMs: 100, maxMs: 60_000 }),
      ANY: env.int({ description: 'Anything' }),
    });
    expect(loadConfig(bounded, { WORKERS: '8', POLL: '100ms', ANY: '-5' })).toEqual({
      WORKERS: 8,
      POLL: 100,
      ANY: -5,
    });
    const error = captureConfigError(() => loadConfig(bounded, { WORKERS: '0', POLL: '2m', ANY: 'many' }));
    expect(error.message).toContain('WORKERS: Expected a whole number of at least 1');
    expect(error.message).toContain('POLL: Expected a duration between 100ms and 60000ms');
    expect(error.message).toContain('ANY: Expected a whole number, got "many"');
  });

  it('accepts any protocol when none is listed, and custom schemas through variable()', () => {
    const custom = defineConfig({
      ENDPOINT: env.url({ description: 'Any URL' }),
      REGION: variable(z.string().regex(/^[a-z]{2}-[a-z]+-\d$/), {
        description: 'Cloud region',
        default: 'eu-west-1',
      }),
      CODE: env.string({ description: 'Code', pattern: /^[A-Z]{3}$/, optional: true }),
    });
    expect(loadConfig(custom, { ENDPOINT: 'ftp://files.example' })).toEqual({
      ENDPOINT: 'ftp://files.example',
      REGION: 'eu-west-1',
      CODE: undefined,
    });
    expect(() => loadConfig(custom, { ENDPOINT: 'ftp://x', CODE: 'abc' })).toThrow(
      'CODE: Expected to match /^[A-Z]{3}$/',
    );
    expect(() => loadConfig(custom, { ENDPOINT: '/relative' })).toThrow(
      'ENDPOINT: Expected a URL, got "/relative"',
    );
  });

  it('reads process.env when no source is given', () => {
    const own = defineConfig({
      PARLEY_CONFIG_SPEC_PROBE: env.string({ description: 'Probe', optional: true }),
    });
    process.env['PARLEY_CONFIG_SPEC_PROBE'] = 'from-process';
    try {
      expect(loadConfig(own).PARLEY_CONFIG_SPEC_PROBE).toBe('from-process');
    } finally {
      delete process.env['PARLEY_CONFIG_SPEC_PROBE'];
    }
  });
});

describe('defineConfig', () => {
  it('rejects bad names and invalid defaults, all at once, hiding secret defaults', () => {
    const error = captureConfigError(() =>
      defineConfig({
        httpPort: env.port({ description: 'Lowercase name', default: '80' }),
        TIMEOUT: env.duration({ description: 'Bad default', default: 'soon' }),
        API_KEY: env.string({
          description: 'Secret with default',
          secret: true,
          minLength: 16,
          default: 'dev-key',
        }),
      }),
    );
    expect(error.message.split('\n')[0]).toBe('Invalid configuration definition: 3 variables to fix');
    expect(error.problems).toEqual([
      { name: 'httpPort', problem: 'name must be UPPER_SNAKE_CASE', description: 'Lowercase name' },
      {
        name: 'TIMEOUT',
        problem: 'default "soon" is invalid: Expected a duration such as 500ms, 30s, 15m, 2h or 1d',
        description: 'Bad default',
      },
      {
        name: 'API_KEY',
        problem: 'default (hidden) is invalid: Expected at least 16 characters',
        description: 'Secret with default',
      },
    ]);
    expect(error.message).not.toContain('dev-key');
  });

  it('accepts a development default for a secret and still redacts it', () => {
    const withDefault = defineConfig({
      API_KEY: env.string({ description: 'Key', secret: true, default: 'local-development-key' }),
    });
    const config = loadConfig(withDefault, {});
    expect(config.API_KEY).toBe('local-development-key');
    expect(redactConfig(config, withDefault)).toEqual({ API_KEY: '[secret]' });
    expect(describeConfig(withDefault)).toContain('| `API_KEY` | [secret] | yes | Key |');
  });

  it('returns a frozen copy', () => {
    const defined = defineConfig({ A: env.string({ description: 'a' }) });
    expect(Object.isFrozen(defined)).toBe(true);
    expect(Object.isFrozen(defined.A)).toBe(true);
  });
});

describe('requiredVariable and optionalVariable', () => {
  it('derive a required or optional variant of a shared variable', () => {
    const migrate = defineConfig({
      DATABASE_ADMIN_URL: requiredVariable(commonVariables.DATABASE_ADMIN_URL),
      DATABASE_URL: optionalVariable(commonVariables.DATABASE_URL),
    });
    const config = loadConfig(migrate, { DATABASE_ADMIN_URL: 'postgres://postgres@db/parley' });
    const admin: string = config.DATABASE_ADMIN_URL;
    const own: string | undefined = config.DATABASE_URL;
    expect([admin, own]).toEqual(['postgres://postgres@db/parley', undefined]);
    expect(() => loadConfig(migrate, {})).toThrow('DATABASE_ADMIN_URL: not set');
    expect(migrate.DATABASE_ADMIN_URL.secret).toBe(true);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '1.5h', '-1s', '15 m', '1w', '99999999999999999999d'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('redactConfig', () => {
  it('replaces secrets and masks passwords inside other URLs', () => {
    const config = loadConfig(definition, { ...validEnv, NATS_URL: 'nats://edge:pa55@nats:4222' });
    const redacted = redactConfig(config, definition);
    expect(redacted.DATABASE_URL).toBe('[secret]');
    expect(redacted.SIGNING_SECRET).toBe('[secret]');
    expect(redacted.DATABASE_ADMIN_URL).toBeUndefined();
    expect(redacted.NATS_URL).toBe('nats://edge:***@nats:4222');
    expect(redacted.HTTP_PORT).toBe(3000);
    expect(redacted.ALLOWED_ORIGINS).toEqual(['http://localhost:5173']);
    expect(JSON.stringify(redacted)).not.toMatch(/s3cret|abcdefghijk|pa55/);
  });
});

describe('describeConfig', () => {
  it('renders a Markdown table of every variable', () => {
    const table = describeConfig(
      defineConfig({
        ...commonVariables,
        NOTE: env.string({ description: 'Has a | pipe\nand a newline', optional: true }),
      }),
    );
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe('| name | default | secret | description |');
    expect(lines[1]).toBe('|---|---|---|---|');
    expect(lines).toContain(
      "| `DATABASE_URL` | **required** | yes | PostgreSQL connection string of the service's own login (schema owner at run time) |",
    );
    expect(lines).toContain(
      '| `NATS_NAMESPACE` | (empty) | no | Prefix of every subject and stream name the process uses; empty in production, unique per test run |',
    );
    expect(lines).toContain(
      '| `HTTP_PORT` | `3000` | no | Port of the HTTP server (health, metrics and any HTTP API of the service) |',
    );
    expect(lines.find((l) => l.startsWith('| `DATABASE_ADMIN_URL`'))).toContain('| (unset) | yes |');
    expect(lines).toContain('| `NOTE` | (unset) | no | Has a \\| pipe and a newline |');
    expect(lines).toHaveLength(2 + 8);
  });
});

function captureConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError');
}
