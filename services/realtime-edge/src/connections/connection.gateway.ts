import { UseFilters } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
} from '@nestjs/websockets';
import { attachPrincipal } from '@parley/auth';
import {
  ParleyError,
  realtimeCommands,
  type CommandAckOf,
  type ParsedCommandPayloadOf,
} from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { attachAccessToken, AuthenticatedOnly } from '@parley/permissions';
import type { ExtendedError } from 'socket.io';
import { HandshakeAuthenticator } from '../auth/handshake-authenticator.js';
import { ConversationRooms } from '../conversations/conversation-rooms.service.js';
import { ReadersService } from '../conversations/readers.service.js';
import { EdgeMetrics } from '../observability/edge-metrics.js';
import { PresenceService } from '../presence/presence.service.js';
import { tenantRoom, userRoom } from '../rooms/room-keys.js';
import { SocketRooms } from '../rooms/socket-rooms.service.js';
import { CommandGate } from '../socket/command-gate.js';
import { SocketErrorFilter } from '../socket/socket-error.filter.js';
import { SocketServer } from '../socket/socket-server.js';
import { sessionOf, type EdgeServer, type EdgeSocket, type SocketSession } from '../socket/socket-session.js';
import { AccessWatch } from './access-watch.service.js';
import { ConnectionRegistry } from './connection-registry.js';
import { SessionExpiry } from './session-expiry.js';

const refresh = realtimeCommands.authRefresh;

/**
 * The life of a connection: authenticated in the handshake (a refusal is `connect_error` with the
 * error envelope as its data), then in its user's and tenant's rooms (and its administrators'
 * when it holds the permission), online, until its token expires, its session ends or it leaves.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
export class ConnectionGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = createLogger(ConnectionGateway.name);

  constructor(
    private readonly authenticator: HandshakeAuthenticator,
    private readonly server: SocketServer,
    private readonly registry: ConnectionRegistry,
    private readonly rooms: SocketRooms,
    private readonly conversations: ConversationRooms,
    private readonly presence: PresenceService,
    private readonly readers: ReadersService,
    private readonly access: AccessWatch,
    private readonly expiry: SessionExpiry,
    private readonly gate: CommandGate,
    private readonly metrics: EdgeMetrics,
  ) {}

  afterInit(server: EdgeServer): void {
    this.server.attach(server);
    server.use((socket, next) => {
      this.authenticator.authenticate(socket.handshake, socket.handshake.address).then(
        (authenticated) => {
          const session: SocketSession = {
            ...authenticated,
            rooms: new Map(),
            conversations: new Set(),
            focused: new Set(),
            typingSentAt: new Map(),
            presence: 'online',
            bucket: this.gate.socketBucket(),
            timer: undefined,
          };
          socket.data = session;
          next();
        },
        (error: unknown) => {
          const refusal =
            error instanceof ParleyError ? error : new ParleyError('unavailable', 'Try again later');
          const reason = refusal.details?.['reason'];
          this.metrics.handshakes.inc({ outcome: typeof reason === 'string' ? reason : refusal.code });
          const failure: ExtendedError = new Error(refusal.message);
          failure.data = refusal.toEnvelope();
          next(failure);
        },
      );
    });
  }

  handleConnection(socket: EdgeSocket): void {
    const session = sessionOf(socket);
    const { principal } = session;
    attachPrincipal(socket, principal);
    attachAccessToken(socket, session.token);
    this.registry.add(socket);
    this.metrics.handshakes.inc({ outcome: 'accepted' });
    this.metrics.connections.inc();
    this.expiry.schedule(socket);
    void this.rooms.join(socket, userRoom(principal.tenantId, principal.userId));
    void this.rooms.join(socket, tenantRoom(principal.tenantId));
    this.presence.connected(socket).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Recording presence failed');
    });
    this.access.checkAdministrator(socket).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Checking whether the socket belongs with the administrators failed');
    });
  }

  handleDisconnect(socket: EdgeSocket): void {
    const session = socket.data as SocketSession | undefined;
    if (session?.principal === undefined) {
      return;
    }
    this.metrics.connections.dec();
    this.expiry.clear(socket);
    const remaining = this.registry.remove(socket);
    if (remaining === 0) {
      this.gate.forget(session.principal.tenantId, session.principal.userId);
    }
    this.rooms.releaseAll(socket);
    this.conversations.unfollowAll(socket);
    Promise.all([this.presence.disconnected(socket), this.readers.blurAll(socket)]).catch(
      (error: unknown) => {
        this.logger.warn({ err: error }, 'Cleaning up after a socket failed');
      },
    );
  }

  /** A fresh access token for the same session; the connection then lives as long as it. */
  @SubscribeMessage(refresh.event)
  @AuthenticatedOnly()
  async refresh(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: ParsedCommandPayloadOf<typeof refresh>,
  ): Promise<CommandAckOf<typeof refresh>> {
    const session = sessionOf(socket);
    const fresh = await this.authenticator.verify(payload.token, session.transport, {
      address: socket.handshake.address,
    });
    const { principal } = session;
    if (
      fresh.principal.userId !== principal.userId ||
      fresh.principal.tenantId !== principal.tenantId ||
      fresh.principal.sessionId !== principal.sessionId
    ) {
      throw new ParleyError('forbidden', 'The new token belongs to another session', {
        reason: 'session_mismatch',
      });
    }
    session.token = fresh.token;
    session.expiresAt = fresh.expiresAt;
    attachAccessToken(socket, fresh.token);
    this.expiry.schedule(socket);
    return { expiresAt: new Date(fresh.expiresAt).toISOString() };
  }
}
