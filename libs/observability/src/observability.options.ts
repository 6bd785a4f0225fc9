import type { InjectionToken, ModuleMetadata } from '@nestjs/common';

/** One dependency the service needs before it can take traffic (database, NATS, …). */
export interface ReadinessCheck {
  /** Key in the readiness answer, e.g. `database`; unique within the service. */
  name: string;
  /** Resolves when the dependency is usable; throws (or times out) when not. */
  check: () => Promise<void>;
}

export interface ObservabilityOptions {
  /** The `service` label of every metric. */
  service: string;
  readiness?: ReadinessCheck[];
  /** Longest a readiness check may take before it counts as down; 3 s when omitted. */
  readinessTimeoutMs?: number;
}

export interface ObservabilityAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  service: string;
  readinessTimeoutMs?: number;
  inject?: InjectionToken[];
  /** Builds the readiness checks from injected providers (e.g. `DbHealth`, `NatsHealth`). */
  useFactory: (...deps: never[]) => ReadinessCheck[] | Promise<ReadinessCheck[]>;
}

/** The prom-client `Registry` of the application. */
export const METRICS_REGISTRY = Symbol('parley:metrics-registry');
export const READINESS_CHECKS = Symbol('parley:readiness-checks');
export const OBSERVABILITY_SETTINGS = Symbol('parley:observability-settings');

export interface ObservabilitySettings {
  service: string;
  readinessTimeoutMs: number;
}
