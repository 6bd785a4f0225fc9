import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Controller, Get, type INestApplication, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { httpCorrelationHeader } from '@parley/contracts';
import {
  createLogger,
  InjectPinoLogger,
  LoggingModule,
  PinoLogger,
  requestContext,
  useLogging,
} from '@parley/logging';

const lines: Array<Record<string, unknown>> = [];
const destination = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
    done();
  },
});

const plainLogger = createLogger('PlainCode');

@Injectable()
class GreetingService {
  constructor(@InjectPinoLogger(GreetingService.name) private readonly logger: PinoLogger) {}

  greet(): void {
    this.logger.info({ password: 'hunter2' }, 'greeting from a provider');
  }
}

@Controller()
class ProbeController {
  constructor(private readonly greetings: GreetingService) {}

  @Get('hello')
  async hello(): Promise<unknown> {
    plainLogger.info('hello from plain code');
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.greetings.greet();
    return requestContext.get();
  }

  @Get('whoami')
  whoami(): unknown {
    requestContext.assign({ tenantId: 'tenant-9', actorId: 'actor-9' });
    plainLogger.info('actor known');
    return requestContext.get();
  }

  @Get('health/live')
  live(): { status: string } {
    return { status: 'up' };
  }

  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }
}

@Module({
  imports: [LoggingModule.forRoot({ service: 'logging-int', level: 'info', destination })],
  controllers: [ProbeController],
  providers: [GreetingService],
})
class AppModule {}

let app: INestApplication;
let base: string;

beforeAll(async () => {
  app = await NestFactory.create(AppModule, { bufferLogs: true });
  useLogging(app);
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  lines.length = 0;
});

/** The response log is written when the response finishes, just after the client gets it. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
}

function byMessage(msg: string): Record<string, unknown> | undefined {
  return lines.find((line) => line['msg'] === msg);
}

describe('LoggingModule over HTTP', () => {
  it('takes the correlation id from x-correlation-id, echoes it and puts it on every line of the request', async () => {
    const response = await fetch(`${base}/hello`, {
      headers: {
        [httpCorrelationHeader]: 'corr-abc-123',
        authorization: 'Bearer secret-token',
        cookie: 'sid=42',
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get(httpCorrelationHeader)).toBe('corr-abc-123');
    expect(await response.json()).toEqual({ correlationId: 'corr-abc-123' });
    await settle();

    expect(byMessage('hello from plain code')).toMatchObject({
      service: 'logging-int',
      context: 'PlainCode',
      correlationId: 'corr-abc-123',
    });
    expect(byMessage('greeting from a provider')).toMatchObject({
      service: 'logging-int',
      context: 'GreetingService',
      correlationId: 'corr-abc-123',
      password: '[redacted]',
    });
    expect(byMessage('greeting from a provider')).not.toHaveProperty('req');
    const completed = byMessage('request completed');
    expect(completed).toMatchObject({
      level: 'info',
      service: 'logging-int',
      correlationId: 'corr-abc-123',
      req: { method: 'GET', url: '/hello', headers: { authorization: '[redacted]', cookie: '[redacted]' } },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines)).not.toMatch(/secret-token|sid=42|hunter2/);
  });

  it('creates a UUID when the header is missing or unacceptable', async () => {
    const missing = await fetch(`${base}/hello`);
    const generated = missing.headers.get(httpCorrelationHeader);
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await missing.json()).toEqual({ correlationId: generated });

    const tooLong = await fetch(`${base}/hello`, { headers: { [httpCorrelationHeader]: 'x'.repeat(200) } });
    const replaced = tooLong.headers.get(httpCorrelationHeader);
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect(replaced).not.toBe(generated);
    await tooLong.body?.cancel();
  });

  it('adds tenantId and actorId once the request knows them', async () => {
    const response = await fetch(`${base}/whoami`, { headers: { [httpCorrelationHeader]: 'corr-who' } });
    expect(await response.json()).toEqual({
      correlationId: 'corr-who',
      tenantId: 'tenant-9',
      actorId: 'actor-9',
    });
    await settle();
    expect(byMessage('actor known')).toMatchObject({
      correlationId: 'corr-who',
      tenantId: 'tenant-9',
      actorId: 'actor-9',
    });
  });

  it('does not log probe requests', async () => {
    const response = await fetch(`${base}/health/live?verbose=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get(httpCorrelationHeader)).not.toBeNull();
    await settle();
    expect(lines.filter((line) => line['msg'] === 'request completed')).toEqual([]);
  });

  it('logs a refused request (4xx) as a warning', async () => {
    const response = await fetch(`${base}/no-such-route`, {
      headers: { [httpCorrelationHeader]: 'corr-404' },
    });
    expect(response.status).toBe(404);
    await settle();
    expect(byMessage('request completed')).toMatchObject({
      level: 'warn',
      correlationId: 'corr-404',
      res: { statusCode: 404 },
    });
  });

  it('logs a failed request at error level with its correlation id', async () => {
    const response = await fetch(`${base}/boom`, { headers: { [httpCorrelationHeader]: 'corr-boom' } });
    expect(response.status).toBe(500);
    await settle();
    const failed = lines.find((line) => line['msg'] === 'request errored');
    expect(failed).toMatchObject({ level: 'error', correlationId: 'corr-boom', res: { statusCode: 500 } });
    // Nest's own exception log goes through pino too.
    expect(lines.some((line) => line['level'] === 'error' && JSON.stringify(line).includes('kaboom'))).toBe(
      true,
    );
  });
});
