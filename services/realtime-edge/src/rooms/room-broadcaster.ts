import { Injectable } from '@nestjs/common';
import type { EmitEnvelope, RoomRef } from '@parley/contracts';
import { EdgeMetrics } from '../observability/edge-metrics.js';
import { SocketServer } from '../socket/socket-server.js';
import type { EdgeSocket } from '../socket/socket-session.js';
import { roomKey, userRoom } from './room-keys.js';

/**
 * Writes events to the sockets of a room on this instance. A room emit encodes the event once for
 * all its sockets, which is what makes fan-out to large rooms cheap.
 */
@Injectable()
export class RoomBroadcaster {
  constructor(
    private readonly sockets: SocketServer,
    private readonly metrics: EdgeMetrics,
  ) {}

  /** The envelope's event to every socket of the room here, but those it excepts. */
  emit(room: RoomRef, envelope: EmitEnvelope): void {
    const server = this.sockets.server;
    const key = roomKey(room);
    let target = server.to(key);
    if (envelope.exceptSocketId !== undefined) {
      target = target.except(envelope.exceptSocketId);
    }
    if (envelope.exceptUserId !== undefined) {
      target = target.except(roomKey(userRoom(room.tenantId, envelope.exceptUserId)));
    }
    target.emit(envelope.event, envelope.data);
    const reached = server.sockets.adapter.rooms.get(key)?.size ?? 0;
    if (reached > 0) {
      this.metrics.eventsOut.inc({ event: envelope.event }, reached);
      this.metrics.deliveryLag.observe(
        { event: envelope.event },
        Math.max(0, Date.now() - envelope.at) / 1000,
      );
    }
  }

  /** One event to one socket (a replayed message, a reset). */
  emitTo(socket: EdgeSocket, event: string, data: unknown): void {
    socket.emit(event, data);
    this.metrics.eventsOut.inc({ event });
  }
}
