import { Injectable } from '@nestjs/common';
import type { RoomRef } from '@parley/contracts';
import type { EdgeSocket } from '../socket/socket-session.js';
import { roomKey } from './room-keys.js';
import { RoomSubscriptions } from './room-subscriptions.service.js';

/**
 * A socket's plain rooms (its user, its tenant, the administrators, watched presence): the
 * Socket.IO room and the NATS subscription behind it, held together. Conversations have their own
 * joining rules (`ConversationRooms`).
 */
@Injectable()
export class SocketRooms {
  constructor(private readonly subscriptions: RoomSubscriptions) {}

  /** Joins the room; resolves once its events published from now on will arrive. */
  join(socket: EdgeSocket, room: RoomRef): Promise<void> {
    const key = roomKey(room);
    const held = socket.data.rooms;
    if (held.has(key)) {
      return Promise.resolve();
    }
    held.set(key, room);
    void socket.join(key);
    return this.subscriptions.acquire(room);
  }

  /** Leaves the room; false when the socket was not in it. */
  leave(socket: EdgeSocket, room: RoomRef): boolean {
    const key = roomKey(room);
    if (!socket.data.rooms.delete(key)) {
      return false;
    }
    void socket.leave(key);
    this.subscriptions.release(room);
    return true;
  }

  /** A disconnected socket: Socket.IO has already taken it out of its rooms. */
  releaseAll(socket: EdgeSocket): void {
    for (const room of socket.data.rooms.values()) {
      this.subscriptions.release(room);
    }
    socket.data.rooms.clear();
  }
}
