import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource, type EntityManager } from 'typeorm';
import {
  eventFilter,
  eventStreamName,
  identityEvents,
  ParleyError,
  type EventContract,
} from '@parley/contracts';
import { PgIdempotencyStore } from '@parley/db';
import { createLogger } from '@parley/logging';
import {
  EventConsumer,
  Namespace,
  NATS_CONNECTION,
  provisionServiceEventStream,
  type ConsumedEvent,
  type ConsumerHandle,
} from '@parley/nats';
import { AssignmentsService } from '../assignments/assignments.service.js';
import { PlatformTenant } from './platform-tenant.service.js';
import { TenantsRepository } from './tenants.repository.js';

/**
 * Durable consumers of identity's stream, one per event type: a consumer with several subject
 * filters needs NATS 2.10. Their order against each other does not matter: an account whose
 * tenant is not recorded yet is retried until it is.
 */
export const identityEventsDurables = {
  tenantCreated: 'permission-identity-tenant-created',
  userCreated: 'permission-identity-user-created',
} as const;

/**
 * Follows identity: records every tenant, and makes the first service account of the platform
 * tenant its platform operator. Each message is handled once, in one transaction with its claim.
 */
@Injectable()
export class IdentityEventsConsumer implements OnApplicationBootstrap {
  private readonly logger = createLogger(IdentityEventsConsumer.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumer: EventConsumer,
    private readonly idempotency: PgIdempotencyStore,
    private readonly tenants: TenantsRepository,
    private readonly platform: PlatformTenant,
    private readonly assignments: AssignmentsService,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Identity's stream may not exist yet (identity starting later); creating it is idempotent and
    // gives it the same settings identity gives it.
    await provisionServiceEventStream(await jetstreamManager(this.nats), this.namespace, 'identity');
    // EventConsumer stops both before the application shuts down.
    await this.follow(
      identityEvents.tenantCreated,
      identityEventsDurables.tenantCreated,
      async (manager, event) => {
        const { tenant } = identityEvents.tenantCreated.payload.parse(event.payload);
        await this.tenants.record(manager, {
          tenantId: tenant.id,
          parentTenantId: tenant.parentTenantId,
          slug: tenant.slug,
        });
      },
    );
    await this.follow(
      identityEvents.userCreated,
      identityEventsDurables.userCreated,
      async (manager, event) => {
        const { user } = identityEvents.userCreated.payload.parse(event.payload);
        if (user.kind === 'service') {
          await this.serviceAccountCreated(manager, user.tenantId, user.id);
        } else {
          await this.assignments.assignEveryUsersSets(manager, user.tenantId, user.id);
        }
      },
    );
  }

  /** Runs `handle` for each event of the contract, in one transaction with the message's claim. */
  private follow(
    contract: EventContract,
    durable: string,
    handle: (manager: EntityManager, event: ConsumedEvent) => Promise<void>,
  ): Promise<ConsumerHandle> {
    return this.consumer.consume({
      stream: eventStreamName('identity'),
      durable,
      filterSubjects: [eventFilter('identity', contract.type)],
      contract,
      consumerService: 'permission',
      handler: (event) =>
        this.dataSource.transaction(async (manager) => {
          if (await this.idempotency.claim(manager, durable, event.msgId)) {
            await handle(manager, event);
          }
        }),
    });
  }

  private async serviceAccountCreated(
    manager: EntityManager,
    tenantId: string,
    userId: string,
  ): Promise<void> {
    if (!(await this.tenants.exists(manager, tenantId))) {
      // Its tenant.created is still to come (a redelivery overtook it): try again later.
      throw new ParleyError('unavailable', 'The tenant of this user is not known yet', { tenantId });
    }
    if (!(await this.platform.is(tenantId, manager))) {
      return;
    }
    if (await this.assignments.bootstrapPlatformOperator(manager, tenantId, userId)) {
      this.logger.info({ tenantId, userId }, 'Made the first platform service account the platform operator');
    }
  }
}
