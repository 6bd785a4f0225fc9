import { Inject, Injectable } from '@nestjs/common';
import { ParleyError } from '@parley/contracts';
import { Counter, Gauge, Histogram, type Registry, validateMetricName } from 'prom-client';
import { METRICS_REGISTRY } from './observability.options.js';

export interface MetricDefinition<L extends string> {
  /** snake_case with a unit suffix where one applies, e.g. `parley_messages_sent_total`. */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface HistogramDefinition<L extends string> extends MetricDefinition<L> {
  /** Upper bounds, in the metric's unit; prom-client's defaults (seconds) when omitted. */
  buckets?: number[];
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

const kindNames = new Map<MetricClass, string>([
  [Counter, 'counter'],
  [Gauge, 'gauge'],
  [Histogram, 'histogram'],
]);

/**
 * Creates, or returns the already created, metrics of the application's registry, which
 * `GET /metrics` exposes with a `service` label on every series.
 */
@Injectable()
export class Metrics {
  constructor(@Inject(METRICS_REGISTRY) readonly registry: Registry) {}

  counter<L extends string = never>(definition: MetricDefinition<L>): Counter<L> {
    return this.getOrCreate(Counter, definition, () => new Counter<L>(this.config(definition)));
  }

  gauge<L extends string = never>(definition: MetricDefinition<L>): Gauge<L> {
    return this.getOrCreate(Gauge, definition, () => new Gauge<L>(this.config(definition)));
  }

  histogram<L extends string = never>(definition: HistogramDefinition<L>): Histogram<L> {
    return this.getOrCreate(
      Histogram,
      definition,
      () =>
        new Histogram<L>({
          ...this.config(definition),
          ...(definition.buckets === undefined ? {} : { buckets: definition.buckets }),
        }),
    );
  }

  /** The exposition text, as `GET /metrics` serves it. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private config<L extends string>(definition: MetricDefinition<L>) {
    return {
      name: definition.name,
      help: definition.help,
      labelNames: [...(definition.labelNames ?? [])] as L[],
      registers: [this.registry],
    };
  }

  private getOrCreate<M extends object>(
    kind: MetricClass,
    definition: MetricDefinition<string>,
    create: () => M,
  ): M {
    if (!validateMetricName(definition.name)) {
      throw new ParleyError('validation_failed', `Invalid metric name "${definition.name}"`);
    }
    const existing = this.registry.getSingleMetric(definition.name);
    if (existing === undefined) {
      return create();
    }
    if (!(existing instanceof kind)) {
      throw new ParleyError('conflict', `Metric "${definition.name}" is already registered as another kind`, {
        expected: kindNames.get(kind),
      });
    }
    const labels = (existing as unknown as { labelNames: readonly string[] }).labelNames;
    const wanted = definition.labelNames ?? [];
    if (labels.length !== wanted.length || labels.some((label, i) => label !== wanted[i])) {
      throw new ParleyError(
        'conflict',
        `Metric "${definition.name}" is already registered with other labels`,
        {
          labelNames: [...labels],
        },
      );
    }
    return existing as unknown as M;
  }
}
