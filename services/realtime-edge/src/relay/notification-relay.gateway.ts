import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  notificationRequests,
  realtimeCommands as commands,
  type ParsedCommandPayloadOf,
} from '@parley/contracts';
import { AuthenticatedOnly } from '@parley/permissions';
import { SocketErrorFilter } from '../socket/socket-error.filter.js';
import type { EdgeSocket } from '../socket/socket-session.js';
import { CommandRelay } from './command-relay.service.js';

type Payload<C> = ParsedCommandPayloadOf<C>;

/**
 * The client's own inbox, answered by the notification service with the client's own token: it
 * only ever reads and changes the caller's notifications. New notifications and the unread count
 * arrive as `notification:new` and `notification:count` in the user's room.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
export class NotificationRelayGateway {
  constructor(private readonly relay: CommandRelay) {}

  @SubscribeMessage(commands.notificationList.event)
  @AuthenticatedOnly()
  list(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.notificationList>,
  ) {
    return this.relay.forward(socket, notificationRequests.list, payload);
  }

  @SubscribeMessage(commands.notificationCount.event)
  @AuthenticatedOnly()
  count(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.notificationCount>,
  ) {
    return this.relay.forward(socket, notificationRequests.count, payload);
  }

  @SubscribeMessage(commands.notificationRead.event)
  @AuthenticatedOnly()
  read(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.notificationRead>,
  ) {
    return this.relay.forward(socket, notificationRequests.markRead, payload);
  }

  @SubscribeMessage(commands.notificationDismiss.event)
  @AuthenticatedOnly()
  dismiss(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.notificationDismiss>,
  ) {
    return this.relay.forward(socket, notificationRequests.dismiss, payload);
  }

  @SubscribeMessage(commands.notificationReadAll.event)
  @AuthenticatedOnly()
  readAll(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.notificationReadAll>,
  ) {
    return this.relay.forward(socket, notificationRequests.markAllRead, payload);
  }
}
