import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { eventFilter, parseEventSubject, permissionEvents, type Permission } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION } from '@parley/nats';
import { AbilityCache, PermissionChecker } from '@parley/permissions';
import { ConversationRooms } from '../conversations/conversation-rooms.service.js';
import { adminsRoom } from '../rooms/room-keys.js';
import { SocketRooms } from '../rooms/socket-rooms.service.js';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';
import { ConnectionRegistry } from './connection-registry.js';

/**
 * The tenant-wide permission that makes a socket one of its tenant's administrators (room
 * `admins:<tenant id>`): assigning permissions in the tenant. Only `tenant-administrator` (and the
 * platform operator, in the platform tenant) contains it, and whoever may assign permissions is an
 * administrator of the tenant in effect.
 */
export const administratorPermission: Permission = 'permission:assignment:create';

/**
 * Keeps room memberships in line with permissions. At connection a socket joins its tenant's
 * administrators when it holds `administratorPermission`; when an actor's assignments change
 * (`assignment.changed`, seen by every instance like the permission cache sees it), the actor's
 * sockets here are checked again: they leave the conversations they may no longer read, and join
 * or leave the administrators.
 */
@Injectable()
export class AccessWatch implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = createLogger(AccessWatch.name);
  private subscription: Subscription | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    private readonly registry: ConnectionRegistry,
    private readonly cache: AbilityCache,
    private readonly checker: PermissionChecker,
    private readonly rooms: SocketRooms,
    private readonly conversations: ConversationRooms,
  ) {}

  onApplicationBootstrap(): void {
    const subject = this.namespace.subject(
      eventFilter('permission', permissionEvents.assignmentChanged.type),
    );
    this.subscription ??= this.nats.subscribe(subject, {
      callback: (error, message) => {
        if (error) {
          this.logger.error({ err: error }, 'The assignment.changed subscription failed');
          return;
        }
        const event = parseEventSubject(this.namespace.strip(message.subject));
        const payload = permissionEvents.assignmentChanged.payload.safeParse(decode(message.data));
        if (event !== undefined && payload.success) {
          void this.changed(event.tenantId, payload.data.actorId);
        }
      },
    });
  }

  onApplicationShutdown(): void {
    if (!this.nats.isClosed()) {
      this.subscription?.unsubscribe();
    }
    this.subscription = undefined;
  }

  /** Joins or leaves the administrators' room as the socket's permissions say. */
  async checkAdministrator(socket: EdgeSocket): Promise<void> {
    const session = sessionOf(socket);
    const room = adminsRoom(session.principal.tenantId);
    const holds = await this.checker.can(session.principal, administratorPermission, undefined, {
      token: session.token,
    });
    if (!socket.connected) {
      return;
    }
    if (holds) {
      await this.rooms.join(socket, room);
    } else {
      this.rooms.leave(socket, room);
    }
  }

  private async changed(tenantId: string, actorId: string): Promise<void> {
    const sockets = this.registry.socketsOf(tenantId, actorId);
    if (sockets.length === 0) {
      return;
    }
    // This instance's cache drops the actor on the same event; make sure that happened first.
    this.cache.invalidateActor(tenantId, actorId);
    for (const socket of sockets) {
      try {
        await this.conversations.recheck(socket);
        await this.checkAdministrator(socket);
      } catch (error) {
        this.logger.warn({ err: error, actorId }, 'Checking a socket’s rooms again failed');
      }
    }
  }
}

function decode(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}
