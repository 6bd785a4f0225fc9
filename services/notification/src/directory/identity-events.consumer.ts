import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { identityEvents, userSchema } from '@parley/contracts';
import { EventFollower, type FollowedEvent } from '../shared/event-follower.js';
import { DirectoryRepository } from './directory.repository.js';

/** The durable consumer of identity's stream. */
export const identityDurable = 'notification-identity';

/** What user.created, user.updated and user.suspended have in common: the user as it now is. */
const userChange = z.object({ user: userSchema });

/**
 * Keeps the copies of identity's tenants and users: every tenant a system alert can reach, and
 * every user's email, name, kind and status. One consumer for all of identity's events keeps a
 * user's events in order; the copy's version check makes a late redelivery harmless anyway.
 */
@Injectable()
export class IdentityEventsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly follower: EventFollower,
    private readonly directory: DirectoryRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.follower.follow({
      service: 'identity',
      durable: identityDurable,
      contracts: Object.values(identityEvents),
      handle: (manager, event) => this.handle(manager, event),
    });
  }

  private async handle(manager: EntityManager, event: FollowedEvent): Promise<void> {
    switch (event.type) {
      case identityEvents.tenantCreated.type: {
        const { tenant } = identityEvents.tenantCreated.payload.parse(event.payload);
        await this.directory.recordTenant(manager, tenant);
        return;
      }
      case identityEvents.userCreated.type:
      case identityEvents.userUpdated.type:
      case identityEvents.userSuspended.type: {
        const { user } = userChange.parse(event.payload);
        await this.directory.recordUser(manager, user);
        return;
      }
      default:
        // Sessions and anything identity announces later concern no notification.
        return;
    }
  }
}
