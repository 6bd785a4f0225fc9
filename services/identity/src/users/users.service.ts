import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  identityEvents,
  identityRequests,
  ParleyError,
  type ParsedRequestOf,
  type Principal,
  type User,
  type UserKind,
} from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { PermissionChecker } from '@parley/permissions';
import { PasswordHasher } from '../crypto/password-hasher.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { TenantEntity } from '../tenants/tenant.entity.js';
import { toUser, type UserEntity } from './user.entity.js';
import { UsersRepository, type UserPageCursor } from './users.repository.js';

type SelfRegistration = ParsedRequestOf<typeof identityRequests.registerUser>;
type CreateUser = ParsedRequestOf<typeof identityRequests.createUser>;
type UpdateUser = ParsedRequestOf<typeof identityRequests.updateUser>;
type SearchUsers = ParsedRequestOf<typeof identityRequests.searchUsers>;

export interface NewAccount {
  email: string;
  fullName: string;
  designation?: string | undefined;
  kind: UserKind;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly outbox: OutboxWriter,
    private readonly permissions: PermissionChecker,
  ) {}

  async register(request: SelfRegistration): Promise<User> {
    const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ slug: request.tenant });
    if (!tenant || tenant.status !== 'active') {
      throw new ParleyError('not_found', 'No such tenant', { tenant: request.tenant });
    }
    if (!tenant.allowsSelfRegistration) {
      throw new ParleyError('forbidden', 'This tenant does not allow self-registration', {
        tenant: request.tenant,
      });
    }
    const passwordHash = await this.hasher.hash(request.password);
    return this.dataSource.transaction((manager) =>
      this.insert(manager, tenant.id, { ...request, kind: 'person' }, passwordHash),
    );
  }

  /** In the actor's tenant; PermissionGuard has checked identity:user:create. */
  async create(actor: Principal, request: CreateUser): Promise<User> {
    const tenantId = request.tenantId ?? actor.tenantId;
    if (tenantId !== actor.tenantId) {
      // A tenant's first users come from the platform operators, who create tenants; to anyone
      // else another tenant does not exist.
      const tenant = await this.dataSource.getRepository(TenantEntity).findOneBy({ id: tenantId });
      if (!tenant || !(await this.permissions.can(actor, 'identity:tenant:create'))) {
        throw new ParleyError('not_found', 'No such tenant', { tenantId });
      }
    }
    const passwordHash = await this.hasher.hash(request.password);
    return this.dataSource.transaction((manager) => this.insert(manager, tenantId, request, passwordHash));
  }

  /** Inserts a user, its credential and the user.created event in the caller's transaction. */
  async insert(
    manager: EntityManager,
    tenantId: string,
    account: NewAccount,
    passwordHash: string,
  ): Promise<User> {
    if (await this.users.findByEmail(manager, tenantId, account.email)) {
      throw new ParleyError('conflict', 'A user with this email exists in the tenant', { field: 'email' });
    }
    const entity = await this.users.insert(manager, tenantId, {
      kind: account.kind,
      email: account.email,
      fullName: account.fullName,
      designation: account.designation ?? null,
      passwordHash,
    });
    const user = toUser(entity);
    await this.outbox.append(manager, identityEvents.userCreated, tenantId, { user });
    return user;
  }

  async get(actor: Principal, userId: string): Promise<User> {
    const user = await this.users.findById(this.dataSource.manager, actor.tenantId, userId);
    if (!user) {
      throw new ParleyError('not_found', 'No such user', { userId });
    }
    return toUser(user);
  }

  async getMany(actor: Principal, userIds: string[]): Promise<User[]> {
    const users = await this.users.findByIds(this.dataSource.manager, actor.tenantId, userIds);
    return users.map(toUser);
  }

  async search(
    actor: Principal,
    request: SearchUsers,
  ): Promise<{ items: User[]; nextCursor: string | null }> {
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const rows = await this.users.search(
      this.dataSource.manager,
      actor.tenantId,
      request.query,
      request.limit + 1,
      after,
    );
    const page = rows.slice(0, request.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > request.limit && last
        ? encodeCursor({ name: last.fullName.toLowerCase(), id: last.id })
        : null;
    return { items: page.map(toUser), nextCursor };
  }

  /**
   * One's own profile needs nothing more than being signed in; another user's needs
   * identity:user:update on that user, checked once the user is known to exist in the tenant.
   */
  async update(actor: Principal, request: UpdateUser): Promise<User> {
    if (request.userId !== actor.userId) {
      const user = await this.users.findById(this.dataSource.manager, actor.tenantId, request.userId);
      if (!user) {
        throw new ParleyError('not_found', 'No such user', { userId: request.userId });
      }
      await this.permissions.require(actor, 'identity:user:update', {
        type: 'user',
        id: user.id,
        tenantId: user.tenantId,
      });
    }
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lock(manager, actor.tenantId, request.userId);
      const changedFields: string[] = [];
      if (request.fullName !== undefined && request.fullName !== user.fullName) {
        user.fullName = request.fullName;
        changedFields.push('fullName');
      }
      if (request.designation !== undefined && request.designation !== user.designation) {
        user.designation = request.designation;
        changedFields.push('designation');
      }
      if (changedFields.length === 0) {
        return toUser(user);
      }
      const updated = toUser(await this.users.save(manager, user));
      await this.outbox.append(manager, identityEvents.userUpdated, actor.tenantId, {
        user: updated,
        changedFields,
      });
      return updated;
    });
  }

  /** PermissionGuard has checked identity:user:suspend on the user. */
  async suspend(actor: Principal, userId: string, reason: string | undefined): Promise<User> {
    if (userId === actor.userId) {
      throw new ParleyError('conflict', 'An administrator cannot suspend their own account');
    }
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lock(manager, actor.tenantId, userId);
      if (user.status === 'suspended') {
        return toUser(user);
      }
      user.status = 'suspended';
      const suspended = toUser(await this.users.save(manager, user));
      await this.outbox.append(manager, identityEvents.userSuspended, actor.tenantId, {
        user: suspended,
        reason: reason ?? null,
      });
      await this.outbox.append(manager, identityEvents.userUpdated, actor.tenantId, {
        user: suspended,
        changedFields: ['status'],
      });
      await this.sessions.revokeAllOfUser(manager, actor.tenantId, userId, 'user_suspended');
      return suspended;
    });
  }

  /**
   * Soft delete: the row stays (and its history), the email becomes free, sessions end.
   * PermissionGuard has checked identity:user:suspend on the user.
   */
  async delete(actor: Principal, userId: string): Promise<User> {
    if (userId === actor.userId) {
      throw new ParleyError('conflict', 'An administrator cannot delete their own account');
    }
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lock(manager, actor.tenantId, userId);
      user.status = 'deleted';
      user.deletedAt = new Date();
      const deleted = toUser(await this.users.save(manager, user));
      await this.outbox.append(manager, identityEvents.userUpdated, actor.tenantId, {
        user: deleted,
        changedFields: ['status'],
      });
      await this.sessions.revokeAllOfUser(manager, actor.tenantId, userId, 'revoked');
      return deleted;
    });
  }

  /** PermissionGuard has checked identity:user:suspend on the user. */
  async reactivate(actor: Principal, userId: string): Promise<User> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lock(manager, actor.tenantId, userId);
      if (user.status === 'active') {
        return toUser(user);
      }
      user.status = 'active';
      const reactivated = toUser(await this.users.save(manager, user));
      await this.outbox.append(manager, identityEvents.userUpdated, actor.tenantId, {
        user: reactivated,
        changedFields: ['status'],
      });
      return reactivated;
    });
  }

  private async lock(manager: EntityManager, tenantId: string, userId: string): Promise<UserEntity> {
    const user = await this.users.lockById(manager, tenantId, userId);
    if (!user) {
      throw new ParleyError('not_found', 'No such user', { userId });
    }
    return user;
  }
}

function encodeCursor(cursor: UserPageCursor): string {
  return Buffer.from(JSON.stringify([cursor.name, cursor.id])).toString('base64url');
}

function decodeCursor(cursor: string): UserPageCursor {
  try {
    const [name, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof name === 'string' && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) {
      return { name, id };
    }
  } catch {
    // fall through to the typed error
  }
  throw new ParleyError('validation_failed', 'Invalid cursor', { field: 'cursor' });
}
