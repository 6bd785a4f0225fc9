import { HealthController, MetricsController } from '@parley/observability';
import { requirementOf } from './requirement.js';
import { declareObservabilityPublic } from './observability-requirements.js';

describe('declareObservabilityPublic', () => {
  it('makes health and metrics public, once however often it runs', () => {
    declareObservabilityPublic();
    // A second application in the same process: the declaration is found, not repeated (which would throw).
    expect(() => declareObservabilityPublic()).not.toThrow();
    for (const controller of [HealthController, MetricsController]) {
      expect(requirementOf(controller, controller)).toEqual({ kind: 'public' });
    }
  });
});
