import type { INestApplication } from '@nestjs/common';
import { startGuardedService } from '@parley/permissions';
import type { {{Name}}Config } from './{{name}}.config.js';
import { {{Name}}Module } from './{{name}}.module.js';

/**
 * Builds and starts the {{name}} service: NATS request handlers behind the permission guard, and
 * the HTTP server (health, metrics). `main.ts` and the integration tests start it the same way.
 */
export function start{{Name}}(config: {{Name}}Config): Promise<INestApplication> {
  return startGuardedService({{Name}}Module.forRoot(config), { ...config, queue: '{{name}}' });
}
