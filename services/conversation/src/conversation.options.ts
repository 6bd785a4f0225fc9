import type { AccessTokenSource } from '@parley/permissions';

/**
 * Where the service's own access token comes from when it sets standings in the permission
 * service: `ServiceAccountSession` in production (its service account in the platform tenant).
 * `reset()`, when present, forgets a token the permission service refused.
 */
export interface StandingsTokenSource extends AccessTokenSource {
  reset?(): void;
}

export const STANDINGS_TOKEN_SOURCE = Symbol('STANDINGS_TOKEN_SOURCE');
