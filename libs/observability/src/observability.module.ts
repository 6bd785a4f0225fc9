import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ParleyError } from '@parley/contracts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';
import { Metrics } from './metrics.service.js';
import {
  METRICS_REGISTRY,
  OBSERVABILITY_SETTINGS,
  type ObservabilityAsyncOptions,
  type ObservabilityOptions,
  type ObservabilitySettings,
  READINESS_CHECKS,
  type ReadinessCheck,
} from './observability.options.js';

const defaultReadinessTimeoutMs = 3000;

/** One registry per application, so two apps in one process (tests) never share series. */
function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

function checked(checks: ReadinessCheck[]): ReadinessCheck[] {
  const names = checks.map((c) => c.name);
  const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
  if (duplicates.length > 0 || names.some((name) => name.length === 0)) {
    throw new ParleyError('validation_failed', 'Readiness checks need distinct, non-empty names', {
      duplicates: [...new Set(duplicates)],
    });
  }
  return checks;
}

@Module({})
export class ObservabilityModule {
  /**
   * `GET /health/live`, `GET /health/ready`, `GET /metrics`, and an injectable `Metrics` (global)
   * for the service's own counters, gauges and histograms.
   */
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const readiness = checked(options.readiness ?? []);
    return ObservabilityModule.build(options, [], { provide: READINESS_CHECKS, useValue: readiness });
  }

  /** Like `forRoot`, with the readiness checks built from injected providers. */
  static forRootAsync(options: ObservabilityAsyncOptions): DynamicModule {
    // Nest hands the injected providers over untyped; the caller typed them in its factory.
    const factory = options.useFactory as (
      ...deps: unknown[]
    ) => ReadinessCheck[] | Promise<ReadinessCheck[]>;
    return ObservabilityModule.build(options, options.imports ?? [], {
      provide: READINESS_CHECKS,
      inject: options.inject ?? [],
      useFactory: async (...deps: unknown[]) => checked(await factory(...deps)),
    });
  }

  private static build(
    options: { service: string; readinessTimeoutMs?: number },
    imports: NonNullable<ObservabilityAsyncOptions['imports']>,
    readiness: Provider,
  ): DynamicModule {
    const settings: ObservabilitySettings = {
      service: options.service,
      readinessTimeoutMs: options.readinessTimeoutMs ?? defaultReadinessTimeoutMs,
    };
    return {
      module: ObservabilityModule,
      global: true,
      // Failures are logged by HealthController with structured fields.
      imports: [TerminusModule.forRoot({ logger: false }), ...imports],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: OBSERVABILITY_SETTINGS, useValue: settings },
        { provide: METRICS_REGISTRY, useFactory: () => createRegistry(options.service) },
        readiness,
        Metrics,
      ],
      exports: [Metrics, METRICS_REGISTRY],
    };
  }
}
