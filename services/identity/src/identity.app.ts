import type { INestApplication } from '@nestjs/common';
import { startGuardedService } from '@parley/permissions';
import type { IdentityConfig } from './identity.config.js';
import { IdentityModule, type IdentityOverrides } from './identity.module.js';

/**
 * Builds and starts the identity service: NATS request handlers and the HTTP API (login, JWKS,
 * health, metrics).
 */
export function startIdentity(
  config: IdentityConfig,
  overrides: IdentityOverrides = {},
): Promise<INestApplication> {
  return startGuardedService(IdentityModule.forRoot(config, overrides), { ...config, queue: 'identity' });
}
