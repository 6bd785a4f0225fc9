import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { realtimeEvents, type Presence } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { presenceRoom } from '../rooms/room-keys.js';
import { RoomSubscriptions } from '../rooms/room-subscriptions.service.js';
import { SocketRooms } from '../rooms/socket-rooms.service.js';
import { CommandGate } from '../socket/command-gate.js';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';
import { PresenceStore, type PresenceChange } from './presence.store.js';

/** A user with sockets on this instance. */
interface LocalUser {
  readonly tenantId: string;
  readonly userId: string;
  readonly sockets: Set<EdgeSocket>;
  /** Changes to the user's entry, one after another. */
  queue: Promise<unknown>;
}

/**
 * Presence across instances. Each instance writes one part per user (the best status of its
 * sockets of that user) into the presence bucket and refreshes it well within the TTL; when a
 * change moves the user's overall presence, the instance publishes a `presence` event to the
 * user's presence room, which only instances with watching sockets subscribe to. A refresh also
 * drops the parts of instances that stopped refreshing, so a crashed instance's users go offline
 * for their watchers at the latest one TTL later.
 */
@Injectable()
export class PresenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(PresenceService.name);
  private readonly users = new Map<string, LocalUser>();
  /** Writes under way, finished before the NATS connection closes. */
  private readonly writing = new Set<Promise<unknown>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    private readonly store: PresenceStore,
    private readonly subscriptions: RoomSubscriptions,
    private readonly rooms: SocketRooms,
    private readonly gate: CommandGate,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.closing = false;
    this.heartbeat ??= setInterval(() => this.refreshAll(), Math.floor(this.settings.presenceTtlMs / 3));
    this.heartbeat.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await Promise.allSettled([...this.writing]);
    const users = [...this.users.values()];
    this.users.clear();
    await Promise.all(users.map((user) => this.write(user, null)));
  }

  /** A socket connected: its user is online here. */
  connected(socket: EdgeSocket): Promise<Presence> {
    const { tenantId, userId } = sessionOf(socket).principal;
    const key = `${tenantId}/${userId}`;
    let user = this.users.get(key);
    if (user === undefined) {
      user = { tenantId, userId, sockets: new Set(), queue: Promise.resolve() };
      this.users.set(key, user);
    }
    user.sockets.add(socket);
    return this.update(user);
  }

  /** A socket disconnected. */
  async disconnected(socket: EdgeSocket): Promise<void> {
    const { tenantId, userId } = socket.data.principal;
    const key = `${tenantId}/${userId}`;
    const user = this.users.get(key);
    if (user === undefined || !user.sockets.delete(socket)) {
      return;
    }
    if (user.sockets.size === 0) {
      this.users.delete(key);
    }
    if (!this.closing) {
      await this.update(user);
    }
  }

  /** The socket became active or idle (`presence:set`). */
  async set(socket: EdgeSocket, status: 'online' | 'away'): Promise<Presence> {
    sessionOf(socket).presence = status;
    const { tenantId, userId } = socket.data.principal;
    const user = this.users.get(`${tenantId}/${userId}`);
    return user === undefined ? this.store.read(tenantId, userId) : this.update(user);
  }

  /** Watches users of the socket's tenant; answers their presence now. */
  async watch(socket: EdgeSocket, userIds: readonly string[]): Promise<Presence[]> {
    const tenantId = sessionOf(socket).principal.tenantId;
    await Promise.all(userIds.map((userId) => this.rooms.join(socket, presenceRoom(tenantId, userId))));
    return Promise.all(userIds.map((userId) => this.store.read(tenantId, userId)));
  }

  /** Stops watching users; answers those that were watched. */
  unwatch(socket: EdgeSocket, userIds: readonly string[]): string[] {
    const tenantId = sessionOf(socket).principal.tenantId;
    return userIds.filter((userId) => this.rooms.leave(socket, presenceRoom(tenantId, userId)));
  }

  /** Writes the user's part as its sockets now show it, after any change under way. */
  private update(user: LocalUser): Promise<Presence> {
    const status =
      user.sockets.size === 0
        ? null
        : [...user.sockets].some((socket) => socket.data.presence === 'online')
          ? 'online'
          : 'away';
    const next = user.queue.then(() => this.write(user, status));
    const settled = next.catch(() => undefined);
    user.queue = settled;
    this.writing.add(settled);
    void settled.finally(() => this.writing.delete(settled));
    return next.then((change) => change.after);
  }

  private async write(user: LocalUser, status: 'online' | 'away' | null): Promise<PresenceChange> {
    const change = await this.store.change(user.tenantId, user.userId, this.settings.instanceId, status);
    // Only while the user still has sockets here: the gate forgot them when the last one left.
    if (status !== null && this.users.get(`${user.tenantId}/${user.userId}`) === user) {
      this.gate.shareUser(user.tenantId, user.userId, change.instances);
    }
    if (change.before.status !== change.after.status) {
      this.subscriptions.publish(presenceRoom(user.tenantId, user.userId), {
        kind: 'emit',
        event: realtimeEvents.presence.event,
        data: change.after,
        at: Date.now(),
      });
    }
    return change;
  }

  private refreshAll(): void {
    for (const user of this.users.values()) {
      this.update(user).catch((error: unknown) => {
        this.logger.warn({ err: error, userId: user.userId }, 'Refreshing presence failed');
      });
    }
  }
}
