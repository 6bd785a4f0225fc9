import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  type INestApplication,
  Injectable,
  Module,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ParleyError } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { Metrics, ObservabilityModule } from '@parley/observability';
import type { Response } from 'express';

configureLogging({ service: 'observability-int', level: 'silent' });

/** Stands in for a service's catch-all HTTP filter, which must not hide the failing checks. */
@Catch()
class CatchAllFilter implements ExceptionFilter {
  catch(_error: unknown, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(500)
      .json({ error: { code: 'internal' } });
  }
}

const state = { database: true, natsDelayMs: 0 };

@Injectable()
class DatabaseProbe {
  async check(): Promise<void> {
    if (!state.database) {
      throw new ParleyError('unavailable', 'The database connection pool is closed');
    }
  }
}

@Module({ providers: [DatabaseProbe], exports: [DatabaseProbe] })
class ProbeModule {}

@Module({
  imports: [
    ObservabilityModule.forRootAsync({
      service: 'probe-service',
      readinessTimeoutMs: 100,
      imports: [ProbeModule],
      inject: [DatabaseProbe],
      useFactory: (database: DatabaseProbe) => [
        { name: 'database', check: () => database.check() },
        { name: 'nats', check: () => new Promise((resolve) => setTimeout(resolve, state.natsDelayMs)) },
      ],
    }),
  ],
})
class AppModule {}

let app: INestApplication;
let base: string;

beforeAll(async () => {
  app = await NestFactory.create(AppModule, { logger: false });
  app.useGlobalFilters(new CatchAllFilter());
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  state.database = true;
  state.natsDelayMs = 0;
});

describe('GET /health/live', () => {
  it('answers while the process serves, whatever the dependencies', async () => {
    state.database = false;
    const response = await fetch(`${base}/health/live`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok', service: 'probe-service' });
  });
});

describe('GET /health/ready', () => {
  it('answers 200 when every check passes', async () => {
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, nats: { status: 'up' } },
      error: {},
    });
  });

  it('answers 503 naming the failing check and its message', async () => {
    state.database = false;
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; info: object; error: Record<string, unknown> };
    expect(body.status).toBe('error');
    expect(body.error).toEqual({
      database: expect.objectContaining({
        status: 'down',
        message: 'The database connection pool is closed',
      }),
    });
    expect(Object.keys(body.info)).toEqual(['nats']);
  });

  it('counts a check that exceeds the timeout as down', async () => {
    state.natsDelayMs = 500;
    const response = await fetch(`${base}/health/ready`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: Record<string, { message: string }> };
    expect(Object.keys(body.error)).toEqual(['nats']);
    expect(body.error['nats']?.message).toMatch(/timeout of 100ms exceeded/);
  });
});

describe('GET /metrics and Metrics', () => {
  it('exposes default metrics and custom ones with the service label', async () => {
    const metrics = app.get(Metrics);
    const sent = metrics.counter({
      name: 'parley_test_messages_sent_total',
      help: 'Messages sent',
      labelNames: ['outcome'],
    });
    sent.inc({ outcome: 'ok' }, 3);
    metrics.gauge({ name: 'parley_test_connections', help: 'Open connections' }).set(7);
    metrics
      .histogram({ name: 'parley_test_handler_seconds', help: 'Handler time', buckets: [0.01, 0.1, 1] })
      .observe(0.05);
    metrics.histogram({ name: 'parley_test_default_buckets_seconds', help: 'Default buckets' }).observe(0.2);

    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('parley_test_messages_sent_total{outcome="ok",service="probe-service"} 3');
    expect(text).toContain('parley_test_connections{service="probe-service"} 7');
    expect(text).toContain('parley_test_handler_seconds_bucket{le="0.1",service="probe-service"} 1');
    expect(text).toMatch(/process_cpu_user_seconds_total\{service="probe-service"\} \d/);
    expect(await metrics.text()).toContain('parley_test_connections');
  });

  it('returns the existing metric for the same definition', () => {
    const metrics = app.get(Metrics);
    const definition = {
      name: 'parley_test_retries_total',
      help: 'Retries',
      labelNames: ['reason'] as const,
    };
    expect(metrics.counter(definition)).toBe(metrics.counter(definition));
    expect(metrics.gauge({ name: 'parley_test_g', help: 'g' })).toBe(
      metrics.gauge({ name: 'parley_test_g', help: 'g' }),
    );
  });

  it('refuses a name already used by another kind or with other labels, and invalid names', () => {
    const metrics = app.get(Metrics);
    metrics.counter({ name: 'parley_test_clash_total', help: 'Clash', labelNames: ['a'] });
    expect(() => metrics.gauge({ name: 'parley_test_clash_total', help: 'Clash' })).toThrow(
      'Metric "parley_test_clash_total" is already registered as another kind',
    );
    expect(() =>
      metrics.counter({ name: 'parley_test_clash_total', help: 'Clash', labelNames: ['b'] }),
    ).toThrow('already registered with other labels');
    expect(() => metrics.counter({ name: 'parley_test_clash_total', help: 'Clash' })).toThrow(ParleyError);
    expect(() => metrics.counter({ name: 'not a name', help: 'Bad' })).toThrow(
      'Invalid metric name "not a name"',
    );
  });
});
