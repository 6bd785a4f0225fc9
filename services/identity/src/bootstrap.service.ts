import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { Namespace, NATS_CONNECTION, provisionServiceEventStream } from '@parley/nats';
import { createLogger } from '@parley/logging';
import { PasswordHasher } from './crypto/password-hasher.js';
import { IDENTITY_OPTIONS, type IdentityOptions } from './identity.options.js';
import { SigningKeysService } from './keys/signing-keys.service.js';
import { TenantEntity } from './tenants/tenant.entity.js';
import { TenantsService } from './tenants/tenants.service.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';

export interface PlatformOperator {
  email: string;
  password: string | undefined;
}
export const PLATFORM_OPERATOR = Symbol('PLATFORM_OPERATOR');

/**
 * At start-up: the event stream exists, a signing key is active, the platform tenant exists and, when a password is
 * configured, so does its operator service account. Afterwards keys are rotated on a timer.
 * Every step is idempotent, so any number of instances may start at once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(BootstrapService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: SigningKeysService,
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly usersRepository: UsersRepository,
    private readonly hasher: PasswordHasher,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
    @Inject(PLATFORM_OPERATOR) private readonly operator: PlatformOperator,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The outbox relay publishes into this stream; it must exist before the first event.
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, 'identity');
    await this.keys.rotate();
    await this.ensurePlatform();
    const every = Math.max(1_000, Math.min(60_000, Math.floor(this.options.keyPublishLeadMs / 2)));
    this.timer = setInterval(() => {
      this.keys
        .rotate()
        .catch((error: unknown) => this.logger.error({ err: error }, 'Signing key rotation failed'));
    }, every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async ensurePlatform(): Promise<void> {
    const slug = this.options.platformTenantSlug;
    const passwordHash = this.operator.password ? await this.hasher.hash(this.operator.password) : undefined;
    await this.dataSource.transaction(async (manager) => {
      // Serialises concurrent instances; the second finds everything in place.
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`identity-bootstrap:${slug}`]);
      let tenant = await manager.getRepository(TenantEntity).findOneBy({ slug });
      if (!tenant) {
        const created = await this.tenants.insert(manager, {
          slug,
          name: 'Platform',
          allowsSelfRegistration: false,
        });
        this.logger.info({ tenantId: created.id, slug }, 'Created the platform tenant');
        tenant = await manager.getRepository(TenantEntity).findOneByOrFail({ id: created.id });
      }
      if (
        passwordHash &&
        !(await this.usersRepository.findByEmail(manager, tenant.id, this.operator.email))
      ) {
        const operator = await this.users.insert(
          manager,
          tenant.id,
          { email: this.operator.email, fullName: 'Platform operator', kind: 'service' },
          passwordHash,
        );
        this.logger.info(
          { userId: operator.id, email: operator.email },
          'Created the platform operator account',
        );
      }
    });
  }
}
