import { Inject, Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import {
  accessTokenClaims,
  identityEvents,
  identityRequests,
  ParleyError,
  type ParsedRequestOf,
  type Principal,
  type Session,
  type TokenPair,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { createLogger, logSecurityEvent } from '@parley/logging';
import { PermissionChecker } from '@parley/permissions';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { hashToken, newRefreshToken } from '../crypto/tokens.js';
import { CLOCK, IDENTITY_OPTIONS, type Clock, type IdentityOptions } from '../identity.options.js';
import { SigningKeysService } from '../keys/signing-keys.service.js';
import { TenantEntity } from '../tenants/tenant.entity.js';
import { toUser, type UserEntity } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import { LoginThrottle } from './login-throttle.js';
import { RefreshTokenEntity, SessionEntity, toSession, type RevocationReason } from './session.entity.js';

type LoginRequest = ParsedRequestOf<typeof identityRequests.login>;
type RefreshRequest = ParsedRequestOf<typeof identityRequests.refresh>;

/** One answer for every wrong email, password or tenant: the caller learns nothing about which. */
const invalidCredentials = (): ParleyError =>
  new ParleyError('unauthenticated', 'Wrong tenant, email or password', { reason: 'invalid_credentials' });

const invalidRefreshToken = (): ParleyError =>
  new ParleyError('unauthenticated', 'The refresh token is not valid; log in again', {
    reason: 'invalid_refresh_token',
  });

@Injectable()
export class SessionsService {
  private readonly logger = createLogger(SessionsService.name);
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly keys: SigningKeysService,
    private readonly outbox: OutboxWriter,
    private readonly permissions: PermissionChecker,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.throttle = new LoginThrottle(options.login);
  }

  async login(request: LoginRequest): Promise<TokenPair> {
    const manager = this.dataSource.manager;
    const now = this.clock();
    const tenant = await manager.getRepository(TenantEntity).findOneBy({ slug: request.tenant });
    if (!tenant || tenant.status !== 'active') {
      await this.hasher.verifyNothing(request.password);
      this.loginFailed(request, undefined, 'unknown_tenant');
      throw invalidCredentials();
    }
    const lockedUntil = await this.throttle.lockedUntil(manager, tenant.id, request.email, now);
    if (lockedUntil) {
      this.loginFailed(request, tenant.id, 'locked');
      throw tooManyAttempts(lockedUntil, now);
    }
    const user = await this.users.findByEmail(manager, tenant.id, request.email);
    const passwordHash = user ? await this.users.passwordHash(manager, user.id) : undefined;
    const matches = passwordHash
      ? await this.hasher.verify(passwordHash, request.password)
      : await this.hasher.verifyNothing(request.password);
    if (!user || !matches) {
      const locked = await this.throttle.recordFailure(manager, tenant.id, request.email, now);
      this.loginFailed(request, tenant.id, user ? 'wrong_password' : 'unknown_email', locked);
      throw invalidCredentials();
    }
    if (user.status !== 'active') {
      this.loginFailed(request, tenant.id, 'user_suspended');
      throw new ParleyError('unauthenticated', 'This account is suspended', { reason: 'user_suspended' });
    }
    return this.dataSource.transaction(async (tx) => {
      await this.throttle.clear(tx, tenant.id, request.email);
      const session = await tx.getRepository(SessionEntity).save(
        tx.getRepository(SessionEntity).create({
          tenantId: tenant.id,
          userId: user.id,
          userAgent: request.userAgent ?? null,
          expiresAt: new Date(now.getTime() + this.options.sessionTtlMs),
          lastRefreshedAt: null,
          revokedAt: null,
          revocationReason: null,
        }),
      );
      logSecurityEvent(this.logger, {
        type: 'login',
        outcome: 'succeeded',
        reason: 'password',
        actorId: user.id,
        tenantId: tenant.id,
        sessionId: session.id,
      });
      return this.issue(tx, user, session, now);
    });
  }

  async refresh(request: RefreshRequest): Promise<TokenPair> {
    const now = this.clock();
    const outcome = await this.dataSource.transaction(async (tx) => {
      const token = await tx
        .getRepository(RefreshTokenEntity)
        .createQueryBuilder('token')
        .setLock('pessimistic_write')
        .where('token.token_hash = :hash', { hash: hashToken(request.refreshToken) })
        .getOne();
      if (!token) {
        return invalidRefreshToken();
      }
      const session = await tx.getRepository(SessionEntity).findOneByOrFail({ id: token.sessionId });
      if (session.revokedAt) {
        return invalidRefreshToken();
      }
      if (token.usedAt) {
        // A refresh token is single-use: a second use means it leaked. The whole session goes.
        await this.revokeSession(tx, session, 'reuse_detected', now);
        logSecurityEvent(this.logger, {
          type: 'refresh_token_reuse',
          outcome: 'denied',
          reason: 'reuse_detected',
          actorId: session.userId,
          tenantId: session.tenantId,
          sessionId: session.id,
        });
        return new ParleyError(
          'unauthenticated',
          'This refresh token was already used; the session is revoked',
          {
            reason: 'reuse_detected',
          },
        );
      }
      if (token.expiresAt <= now || session.expiresAt <= now) {
        return new ParleyError('unauthenticated', 'The session has expired; log in again', {
          reason: 'expired',
        });
      }
      const user = await this.users.findById(tx, session.tenantId, session.userId);
      if (!user || user.status !== 'active') {
        return new ParleyError('unauthenticated', 'This account is suspended', { reason: 'user_suspended' });
      }
      token.usedAt = now;
      await tx.getRepository(RefreshTokenEntity).save(token);
      session.lastRefreshedAt = now;
      if (request.userAgent !== undefined) {
        session.userAgent = request.userAgent;
      }
      await tx.getRepository(SessionEntity).save(session);
      return this.issue(tx, user, session, now);
    });
    // Refusals are returned, not thrown, so that a reuse revocation commits before the error.
    if (outcome instanceof ParleyError) {
      throw outcome;
    }
    return outcome;
  }

  async logout(actor: Principal): Promise<{ sessionId: string; revokedAt: string }> {
    return this.revokeOne(actor, actor.sessionId, 'logout');
  }

  async revoke(actor: Principal, sessionId: string): Promise<{ sessionId: string; revokedAt: string }> {
    return this.revokeOne(actor, sessionId, 'revoked');
  }

  async list(actor: Principal, includeRevoked: boolean): Promise<Session[]> {
    const sessions = await this.dataSource.getRepository(SessionEntity).find({
      where: includeRevoked
        ? { tenantId: actor.tenantId, userId: actor.userId }
        : { tenantId: actor.tenantId, userId: actor.userId, revokedAt: IsNull() },
      order: { id: 'DESC' },
      take: 100,
    });
    return sessions.map((session) => toSession(session, actor.sessionId));
  }

  /** Revokes every live session of a user in the caller's transaction (e.g. on suspension). */
  async revokeAllOfUser(
    manager: EntityManager,
    tenantId: string,
    userId: string,
    reason: RevocationReason,
  ): Promise<void> {
    const live = await manager.getRepository(SessionEntity).findBy({ tenantId, userId, revokedAt: IsNull() });
    const now = this.clock();
    for (const session of live) {
      await this.revokeSession(manager, session, reason, now);
    }
  }

  /**
   * Revokes a session of the actor's tenant: one's own, or another user's with
   * identity:session:revoke on that user. The permission is checked before the transaction, so no
   * row is held while the permission service may be asked.
   */
  private async revokeOne(
    actor: Principal,
    sessionId: string,
    reason: RevocationReason,
  ): Promise<{ sessionId: string; revokedAt: string }> {
    const session = await this.dataSource
      .getRepository(SessionEntity)
      .findOneBy({ id: sessionId, tenantId: actor.tenantId });
    if (!session) {
      throw new ParleyError('not_found', 'No such session', { sessionId });
    }
    if (session.userId !== actor.userId) {
      await this.permissions.require(actor, 'identity:session:revoke', {
        type: 'user',
        id: session.userId,
        tenantId: session.tenantId,
      });
    }
    const revokedAt =
      session.revokedAt ??
      (await this.dataSource.transaction((tx) => this.revokeSession(tx, session, reason, this.clock())));
    return { sessionId, revokedAt: revokedAt.toISOString() };
  }

  private async revokeSession(
    tx: EntityManager,
    session: SessionEntity,
    reason: RevocationReason,
    now: Date,
  ): Promise<Date> {
    session.revokedAt = now;
    session.revocationReason = reason;
    await tx.getRepository(SessionEntity).save(session);
    await this.outbox.append(tx, identityEvents.sessionRevoked, session.tenantId, {
      sessionId: session.id,
      userId: session.userId,
      reason,
      revokedAt: now.toISOString(),
    });
    return now;
  }

  private async issue(
    tx: EntityManager,
    user: UserEntity,
    session: SessionEntity,
    now: Date,
  ): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await tx.getRepository(RefreshTokenEntity).insert({
      sessionId: session.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: session.expiresAt,
      usedAt: null,
    });
    const accessTokenExpiresAt = new Date(
      Math.min(now.getTime() + this.options.accessTokenTtlMs, session.expiresAt.getTime()),
    );
    const accessToken = await this.keys.sign(
      {
        [accessTokenClaims.tenantId]: user.tenantId,
        [accessTokenClaims.sessionId]: session.id,
        [accessTokenClaims.userKind]: user.kind,
      },
      user.id,
      accessTokenExpiresAt,
      now,
    );
    return {
      tokenType: 'Bearer',
      accessToken,
      accessTokenExpiresAt: accessTokenExpiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt.toISOString(),
      sessionId: session.id,
      user: toUser(user),
    };
  }

  private loginFailed(
    request: LoginRequest,
    tenantId: string | undefined,
    reason: string,
    lockedUntil?: Date,
  ): void {
    logSecurityEvent(this.logger, {
      type: 'login',
      outcome: 'failed',
      reason,
      tenantId,
      tenant: request.tenant,
      email: request.email,
      ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}),
    });
  }
}

function tooManyAttempts(lockedUntil: Date, now: Date): ParleyError {
  const retryAfterSeconds = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
  return new ParleyError('rate_limited', 'Too many failed logins; try again later', { retryAfterSeconds });
}
