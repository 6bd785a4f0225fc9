import { Injectable } from '@nestjs/common';
import { Brackets, In, IsNull, type EntityManager } from 'typeorm';
import type { UserKind } from '@parley/contracts';
import { CredentialEntity, UserEntity } from './user.entity.js';

export interface NewUser {
  kind: UserKind;
  email: string;
  fullName: string;
  designation: string | null;
  passwordHash: string;
}

export interface UserPageCursor {
  name: string;
  id: string;
}

/** Users and their credentials. Every method is scoped to a tenant. */
@Injectable()
export class UsersRepository {
  async insert(manager: EntityManager, tenantId: string, user: NewUser): Promise<UserEntity> {
    const users = manager.getRepository(UserEntity);
    const created = await users.save(
      users.create({
        tenantId,
        kind: user.kind,
        email: user.email,
        fullName: user.fullName,
        designation: user.designation,
        status: 'active',
        deletedAt: null,
      }),
    );
    await manager
      .getRepository(CredentialEntity)
      .insert({ userId: created.id, passwordHash: user.passwordHash });
    return created;
  }

  findById(manager: EntityManager, tenantId: string, userId: string): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOneBy({ tenantId, id: userId, deletedAt: IsNull() });
  }

  findByIds(manager: EntityManager, tenantId: string, userIds: string[]): Promise<UserEntity[]> {
    return manager.getRepository(UserEntity).find({
      where: { tenantId, id: In(userIds), deletedAt: IsNull() },
      order: { fullName: 'ASC', id: 'ASC' },
    });
  }

  /** Locks the row for the rest of the transaction. */
  lockById(manager: EntityManager, tenantId: string, userId: string): Promise<UserEntity | null> {
    return manager
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .setLock('pessimistic_write')
      .where('user.tenant_id = :tenantId AND user.id = :userId AND user.deleted_at IS NULL', {
        tenantId,
        userId,
      })
      .getOne();
  }

  findByEmail(manager: EntityManager, tenantId: string, email: string): Promise<UserEntity | null> {
    return manager.getRepository(UserEntity).findOneBy({ tenantId, email, deletedAt: IsNull() });
  }

  async passwordHash(manager: EntityManager, userId: string): Promise<string | undefined> {
    const credential = await manager.getRepository(CredentialEntity).findOneBy({ userId });
    return credential?.passwordHash;
  }

  /** Name order, keyset-paginated on (lower(full_name), id); matches the tenant's name index. */
  search(
    manager: EntityManager,
    tenantId: string,
    query: string,
    limit: number,
    after: UserPageCursor | undefined,
  ): Promise<UserEntity[]> {
    const builder = manager
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .where('user.tenant_id = :tenantId AND user.deleted_at IS NULL', { tenantId });
    if (query.length > 0) {
      const pattern = `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      builder.andWhere(
        new Brackets((where) => {
          where
            .where('lower(user.full_name) LIKE :pattern', { pattern })
            .orWhere('user.email LIKE :pattern', { pattern });
        }),
      );
    }
    if (after) {
      builder.andWhere('(lower(user.full_name), user.id) > (:name, :id)', after);
    }
    return builder
      .orderBy('lower(user.full_name)', 'ASC')
      .addOrderBy('user.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  save(manager: EntityManager, user: UserEntity): Promise<UserEntity> {
    return manager.getRepository(UserEntity).save(user);
  }
}
