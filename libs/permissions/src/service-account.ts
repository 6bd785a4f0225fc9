import { env } from '@parley/config';
import { identityRequests, ParleyError, type TokenPair } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import type { NatsRpcClient } from '@parley/nats';

/** Where a service gets the access token it acts with when no actor's token applies. */
export interface AccessTokenSource {
  accessToken(): Promise<string>;
}

/**
 * Configuration of a service that acts for the platform (the conversation service setting
 * standings): its own service account, a user of kind `service` in the platform tenant that an
 * operator created and assigned `platform-service`.
 */
export const serviceAccountVariables = {
  SERVICE_ACCOUNT_TENANT: env.string({
    description: 'Slug of the tenant of the service account (the platform tenant)',
    default: 'platform',
  }),
  SERVICE_ACCOUNT_EMAIL: env.string({ description: "Email of the service's own service account" }),
  SERVICE_ACCOUNT_PASSWORD: env.string({
    description: "Password of the service's own service account",
    secret: true,
    minLength: 10,
  }),
};

export interface ServiceAccountCredentials {
  tenant: string;
  email: string;
  password: string;
}

export interface ServiceAccountSessionOptions {
  /** Renew this long before the access token expires: 30 s by default. */
  renewBeforeMs?: number;
  /** Per request to identity: 5 s by default. */
  timeoutMs?: number;
  now?: () => number;
}

interface Held {
  pair: TokenPair;
  accessExpiresAt: number;
  refreshExpiresAt: number;
}

/**
 * A service account's session with identity: logs in on first use, renews the access token
 * before it expires (refresh token first, a new login when the session is gone), and makes
 * concurrent callers share one renewal.
 */
export class ServiceAccountSession implements AccessTokenSource {
  private readonly logger = createLogger(ServiceAccountSession.name);
  private held: Held | undefined;
  private renewal: Promise<string> | undefined;
  private readonly renewBeforeMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly rpc: NatsRpcClient,
    private readonly credentials: ServiceAccountCredentials,
    options: ServiceAccountSessionOptions = {},
  ) {
    this.renewBeforeMs = options.renewBeforeMs ?? 30_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  accessToken(): Promise<string> {
    const held = this.held;
    if (held !== undefined && held.accessExpiresAt - this.renewBeforeMs > this.now()) {
      return Promise.resolve(held.pair.accessToken);
    }
    this.renewal ??= this.renew().finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }

  /** Forgets the session, so that the next call logs in again (after a refusal of its token). */
  reset(): void {
    this.held = undefined;
  }

  private async renew(): Promise<string> {
    const held = this.held;
    if (held !== undefined && held.refreshExpiresAt - this.renewBeforeMs > this.now()) {
      try {
        return this.keep(
          await this.rpc.request(
            identityRequests.refresh,
            { refreshToken: held.pair.refreshToken, userAgent: 'parley-service' },
            { timeoutMs: this.timeoutMs },
          ),
        );
      } catch (error) {
        if (!(error instanceof ParleyError) || error.code !== 'unauthenticated') {
          throw error;
        }
        // The session was revoked or expired: log in again.
        this.logger.warn(
          { email: this.credentials.email },
          'Service account session ended; logging in again',
        );
      }
    }
    return this.keep(
      await this.rpc.request(
        identityRequests.login,
        { ...this.credentials, userAgent: 'parley-service' },
        { timeoutMs: this.timeoutMs },
      ),
    );
  }

  private keep(pair: TokenPair): string {
    this.held = {
      pair,
      accessExpiresAt: Date.parse(pair.accessTokenExpiresAt),
      refreshExpiresAt: Date.parse(pair.refreshTokenExpiresAt),
    };
    return pair.accessToken;
  }
}
