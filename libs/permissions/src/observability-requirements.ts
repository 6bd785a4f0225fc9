import { HealthController, MetricsController } from '@parley/observability';
import { Public, requirementOf } from './requirement.js';

/**
 * Health probes and the metrics scrape come from the platform (Kubernetes, Prometheus), never from
 * an actor: their routes, served by ObservabilityModule, are public. PermissionGuard refuses every
 * route without a declaration, and @parley/observability cannot declare it itself (this library
 * depends on it), so PermissionsModule.forRoot declares it. Declared once per process: a second
 * application in the same process finds the declaration in place.
 */
export function declareObservabilityPublic(): void {
  for (const controller of [HealthController, MetricsController]) {
    if (requirementOf(controller, controller) === undefined) {
      Public()(controller);
    }
  }
}
