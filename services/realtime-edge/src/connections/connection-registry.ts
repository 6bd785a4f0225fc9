import { Injectable } from '@nestjs/common';
import type { EdgeSocket } from '../socket/socket-session.js';

/** The authenticated sockets of this instance, by user. */
@Injectable()
export class ConnectionRegistry {
  private readonly byUser = new Map<string, Set<EdgeSocket>>();

  add(socket: EdgeSocket): void {
    const key = keyOf(socket.data.principal.tenantId, socket.data.principal.userId);
    let sockets = this.byUser.get(key);
    if (sockets === undefined) {
      sockets = new Set();
      this.byUser.set(key, sockets);
    }
    sockets.add(socket);
  }

  /** Removes the socket; answers how many sockets its user still has here. */
  remove(socket: EdgeSocket): number {
    const key = keyOf(socket.data.principal.tenantId, socket.data.principal.userId);
    const sockets = this.byUser.get(key);
    sockets?.delete(socket);
    if (sockets === undefined || sockets.size === 0) {
      this.byUser.delete(key);
      return 0;
    }
    return sockets.size;
  }

  /** The user's sockets on this instance. */
  socketsOf(tenantId: string, userId: string): readonly EdgeSocket[] {
    return [...(this.byUser.get(keyOf(tenantId, userId)) ?? [])];
  }
}

function keyOf(tenantId: string, userId: string): string {
  return `${tenantId}/${userId}`;
}
