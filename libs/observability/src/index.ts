export * from './observability.options.js';
export * from './observability.module.js';
export * from './metrics.service.js';
export { HealthController } from './health.controller.js';
export { MetricsController } from './metrics.controller.js';
