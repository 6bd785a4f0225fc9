import { Writable } from 'node:stream';
import { ParleyError } from '@parley/contracts';
import { configureLogging, createLogger, redactPaths, rootLogger } from './logger.js';
import { requestContext } from './request-context.js';
import { logSecurityEvent } from './security-event.js';

// Created before logging is configured, as module-level loggers are in services.
const early = createLogger('Early');

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});
const flushed = () => new Promise((resolve) => setImmediate(resolve));

beforeAll(() => configureLogging({ service: 'logging-spec', level: 'debug', destination }));
beforeEach(() => {
  lines.length = 0;
});

describe('createLogger', () => {
  it('writes JSON lines with service, context, level label and ISO time, also for loggers made before configuration', async () => {
    early.debug({ count: 2 }, 'hello');
    await flushed();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'logging-spec',
      context: 'Early',
      level: 'debug',
      count: 2,
      msg: 'hello',
    });
    expect(new Date(lines[0]?.['time'] as string).toISOString()).toBe(lines[0]?.['time']);
    expect(lines[0]).not.toHaveProperty('correlationId');
  });

  it('carries correlationId, tenantId and actorId of the request context', async () => {
    const logger = createLogger('Ctx');
    await requestContext.run({ correlationId: 'corr-1' }, async () => {
      logger.info('before');
      await Promise.resolve();
      requestContext.assign({ tenantId: 'tenant-1', actorId: 'actor-1' });
      logger.info('after');
    });
    await flushed();
    expect(lines[0]).toMatchObject({ correlationId: 'corr-1', msg: 'before' });
    expect(lines[0]).not.toHaveProperty('tenantId');
    expect(lines[1]).toMatchObject({
      correlationId: 'corr-1',
      tenantId: 'tenant-1',
      actorId: 'actor-1',
      msg: 'after',
    });
  });

  it('redacts secrets at the top level and nested up to four levels, headers included', async () => {
    createLogger('Redact').info(
      {
        password: 'p0',
        newPassword: 'p1',
        user: { token: 't1', name: 'Ada' },
        body: { session: { accessToken: 'a1', refreshToken: 'r1' } },
        req: { headers: { authorization: 'Bearer x', cookie: 'sid=1', host: 'api' } },
        nats: { headers: { Authorization: 'Bearer y' } },
        list: [{ secret: 's1' }],
        a: { b: { c: { secret: 's2' } } },
        res: { headers: { 'set-cookie': 'sid=2' } },
      },
      'sensitive',
    );
    await flushed();
    const line = lines[0] as Record<string, unknown>;
    expect(line).toMatchObject({
      password: '[redacted]',
      newPassword: '[redacted]',
      user: { token: '[redacted]', name: 'Ada' },
      body: { session: { accessToken: '[redacted]', refreshToken: '[redacted]' } },
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'api' } },
      nats: { headers: { Authorization: '[redacted]' } },
      list: [{ secret: '[redacted]' }],
      a: { b: { c: { secret: '[redacted]' } } },
      res: { headers: { 'set-cookie': '[redacted]' } },
    });
    expect(JSON.stringify(line)).not.toMatch(/p0|p1|t1|a1|r1|Bearer|sid=|s1|s2/);
    expect(redactPaths).toContain('*.*.*.password');
  });

  it('follows a later level change on existing children', async () => {
    const logger = createLogger('Level');
    configureLogging({ service: 'logging-spec', level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    configureLogging({ service: 'logging-spec', level: 'debug' });
    logger.debug('shown again');
    await flushed();
    expect(lines.map((l) => l['msg'])).toEqual(['shown', 'shown again']);
    expect(rootLogger().level).toBe('debug');
  });

  it('defaults to info and rejects an unknown level with a typed error', async () => {
    configureLogging({ service: 'logging-spec' });
    expect(rootLogger().level).toBe('info');
    expect(() => configureLogging({ service: 'logging-spec', level: 'verbose' })).toThrow(ParleyError);
    expect(() => configureLogging({ service: 'logging-spec', level: 'verbose' })).toThrow(
      'Unknown log level "verbose"',
    );
    expect(rootLogger().level).toBe('info');
    configureLogging({ service: 'logging-spec', level: 'debug' });
  });
});

describe('logSecurityEvent', () => {
  it('logs denials and failures as warnings with securityEvent: true, details kept, fixed fields protected', async () => {
    const logger = createLogger('Security');
    logSecurityEvent(logger, {
      type: 'login',
      outcome: 'failed',
      reason: 'invalid_password',
      tenantId: 'tenant-1',
      email: 'ada@example.org',
      password: 'hunter2',
      securityEvent: false,
    });
    logSecurityEvent(logger, { type: 'access', outcome: 'denied', reason: 'forbidden', actorId: 'actor-1' });
    logSecurityEvent(logger, { type: 'login', outcome: 'succeeded', reason: 'password', actorId: 'actor-1' });
    await flushed();
    expect(lines[0]).toMatchObject({
      level: 'warn',
      securityEvent: true,
      type: 'login',
      outcome: 'failed',
      reason: 'invalid_password',
      tenantId: 'tenant-1',
      email: 'ada@example.org',
      password: '[redacted]',
      msg: 'security event: login failed (invalid_password)',
    });
    expect(lines[1]).toMatchObject({
      level: 'warn',
      securityEvent: true,
      outcome: 'denied',
      actorId: 'actor-1',
    });
    expect(lines[2]).toMatchObject({ level: 'info', securityEvent: true, outcome: 'succeeded' });
  });
});
