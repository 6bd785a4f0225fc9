import { Inject, Injectable } from '@nestjs/common';
import { realtimeEvents, type SessionEndReason } from '@parley/contracts';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { RoomBroadcaster } from '../rooms/room-broadcaster.js';
import type { EdgeSocket } from '../socket/socket-session.js';

/**
 * A connection lives as long as its access token: `auth:expiring` a while before the token
 * expires (the client answers with `auth:refresh`), and at expiry `auth:ended` and a disconnect.
 */
@Injectable()
export class SessionExpiry {
  constructor(
    private readonly broadcaster: RoomBroadcaster,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  /** (Re)arms the socket's timer for its current token: the warning first, then the end. */
  schedule(socket: EdgeSocket, now = Date.now()): void {
    this.clear(socket);
    const { expiresAt } = socket.data;
    const warnIn = expiresAt - this.settings.tokenWarningMs - now;
    const end = () => this.end(socket, 'token_expired');
    // One timer per socket at a time: idle connections are many.
    socket.data.timer =
      warnIn > 0
        ? setTimeout(() => {
            this.broadcaster.emitTo(socket, realtimeEvents.authExpiring.event, {
              expiresAt: new Date(expiresAt).toISOString(),
            });
            socket.data.timer = setTimeout(end, Math.max(0, expiresAt - Date.now()));
          }, warnIn)
        : setTimeout(end, Math.max(0, expiresAt - now));
  }

  clear(socket: EdgeSocket): void {
    clearTimeout(socket.data.timer);
    socket.data.timer = undefined;
  }

  /** Tells the client why, then disconnects it. */
  end(socket: EdgeSocket, reason: SessionEndReason): void {
    this.clear(socket);
    this.broadcaster.emitTo(socket, realtimeEvents.authEnded.event, { reason });
    socket.disconnect(true);
  }
}
