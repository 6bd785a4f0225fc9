import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  realtimeCommands as commands,
  type CommandAckOf,
  type ParsedCommandPayloadOf,
} from '@parley/contracts';
import { AuthenticatedOnly } from '@parley/permissions';
import { SocketErrorFilter } from '../socket/socket-error.filter.js';
import type { EdgeSocket } from '../socket/socket-session.js';
import { PresenceService } from './presence.service.js';

type Payload<C> = ParsedCommandPayloadOf<C>;
type AckOf<C> = CommandAckOf<C>;

/**
 * Presence of users of the tenant. Anyone authenticated may see whether colleagues of the same
 * tenant are online: presence rooms belong to the tenant, so no other tenant's users can be seen.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
export class PresenceGateway {
  constructor(private readonly presence: PresenceService) {}

  @SubscribeMessage(commands.presenceSet.event)
  @AuthenticatedOnly()
  set(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.presenceSet>,
  ): Promise<AckOf<typeof commands.presenceSet>> {
    return this.presence.set(socket, payload.status);
  }

  @SubscribeMessage(commands.presenceSubscribe.event)
  @AuthenticatedOnly()
  async subscribe(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.presenceSubscribe>,
  ): Promise<AckOf<typeof commands.presenceSubscribe>> {
    return { presence: await this.presence.watch(socket, payload.userIds) };
  }

  @SubscribeMessage(commands.presenceUnsubscribe.event)
  @AuthenticatedOnly()
  unsubscribe(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.presenceUnsubscribe>,
  ): AckOf<typeof commands.presenceUnsubscribe> {
    return { userIds: this.presence.unwatch(socket, payload.userIds) };
  }
}
