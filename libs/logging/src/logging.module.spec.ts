import { Writable } from 'node:stream';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PinoLogger } from 'nestjs-pino';
import { createLogger, rootLogger } from './logger.js';
import { LoggingModule } from './logging.module.js';

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});

const LEVEL = Symbol('level');

@Module({ providers: [{ provide: LEVEL, useValue: 'warn' }], exports: [LEVEL] })
class SettingsModule {}

describe('LoggingModule.forRootAsync', () => {
  it('configures the level and destination from injected providers and exposes PinoLogger', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoggingModule.forRootAsync({
          service: 'async-service',
          imports: [SettingsModule],
          inject: [LEVEL],
          useFactory: (level: string) => ({ level, destination }),
        }),
      ],
    }).compile();
    await moduleRef.init();

    expect(rootLogger().level).toBe('warn');
    const logger = createLogger('AfterAsync');
    logger.info('below the level');
    logger.warn('at the level');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({ service: 'async-service', context: 'AfterAsync', msg: 'at the level' }),
    ]);
    expect(await moduleRef.resolve(PinoLogger)).toBeInstanceOf(PinoLogger);
    await moduleRef.close();
  });

  it('works without imports or inject', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        LoggingModule.forRootAsync({ service: 'async-plain', useFactory: () => ({ level: 'error' }) }),
      ],
    }).compile();
    await moduleRef.init();
    expect(rootLogger().level).toBe('error');
    await moduleRef.close();
  });
});
