import { Test } from '@nestjs/testing';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ParleyError } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { HealthController } from './health.controller.js';
import { Metrics } from './metrics.service.js';
import { ObservabilityModule } from './observability.module.js';
import { METRICS_REGISTRY, OBSERVABILITY_SETTINGS, READINESS_CHECKS } from './observability.options.js';

beforeAll(() => configureLogging({ service: 'observability-spec', level: 'silent' }));

describe('ObservabilityModule.forRoot', () => {
  it('provides a registry of its own, labelled with the service, and the default settings', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityModule.forRoot({ service: 'plain' })],
    }).compile();
    const registry = moduleRef.get<Registry>(METRICS_REGISTRY);
    expect(registry).toBeInstanceOf(Registry);
    expect(moduleRef.get(Metrics).registry).toBe(registry);
    expect(moduleRef.get(READINESS_CHECKS)).toEqual([]);
    expect(moduleRef.get(OBSERVABILITY_SETTINGS)).toEqual({ service: 'plain', readinessTimeoutMs: 3000 });
    expect(await registry.metrics()).toMatch(/nodejs_version_info\{.*service="plain"/);
    await moduleRef.close();
  });

  it('refuses duplicate or empty readiness check names', () => {
    const check = async () => undefined;
    expect(() =>
      ObservabilityModule.forRoot({
        service: 's',
        readiness: [
          { name: 'db', check },
          { name: 'db', check },
        ],
      }),
    ).toThrow(ParleyError);
    expect(() => ObservabilityModule.forRoot({ service: 's', readiness: [{ name: '', check }] })).toThrow(
      'Readiness checks need distinct, non-empty names',
    );
  });

  it('checks the names built by forRootAsync too, without imports or inject', async () => {
    const building = Test.createTestingModule({
      imports: [
        ObservabilityModule.forRootAsync({
          service: 's',
          useFactory: () => [
            { name: 'nats', check: async () => undefined },
            { name: 'nats', check: async () => undefined },
          ],
        }),
      ],
    }).compile();
    await expect(building).rejects.toThrow('Readiness checks need distinct, non-empty names');
  });
});

describe('HealthController', () => {
  it('passes on an unexpected failure of the health check service', async () => {
    const failing = {
      check: () => Promise.reject(new Error('terminus broke')),
    } as unknown as HealthCheckService;
    const controller = new HealthController(failing, new HealthIndicatorService(), [], {
      service: 's',
      readinessTimeoutMs: 10,
    });
    const statuses: number[] = [];
    const response = { status: (code: number) => statuses.push(code) } as unknown as Response;
    await expect(controller.ready(response)).rejects.toThrow('terminus broke');
    expect(statuses).toEqual([]);
  });
});
