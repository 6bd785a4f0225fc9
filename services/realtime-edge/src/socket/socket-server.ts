import { Injectable } from '@nestjs/common';
import { ParleyError } from '@parley/contracts';
import type { EdgeServer } from './socket-session.js';

/**
 * The Socket.IO server, once the gateway is initialised: services that emit to rooms get it here
 * rather than from a gateway, so that no service depends on a gateway.
 */
@Injectable()
export class SocketServer {
  private current: EdgeServer | undefined;

  attach(server: EdgeServer): void {
    this.current = server;
  }

  get server(): EdgeServer {
    if (this.current === undefined) {
      throw new ParleyError('unavailable', 'The Socket.IO server is not running');
    }
    return this.current;
  }
}
