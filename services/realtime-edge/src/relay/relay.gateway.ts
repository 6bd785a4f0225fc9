import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  conversationRequests,
  realtimeCommands as commands,
  type CommandAckOf,
  type ParsedCommandPayloadOf,
} from '@parley/contracts';
import { AuthenticatedOnly } from '@parley/permissions';
import { SocketErrorFilter } from '../socket/socket-error.filter.js';
import type { EdgeSocket } from '../socket/socket-session.js';
import { CommandRelay } from './command-relay.service.js';

type Payload<C> = ParsedCommandPayloadOf<C>;
type AckOf<C> = CommandAckOf<C>;

/**
 * Commands the conversation service answers. The edge requires only an authenticated connection:
 * each request carries the client's own token, and the service enforces the operation's
 * requirement exactly as for any caller.
 */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
export class RelayGateway {
  constructor(private readonly relay: CommandRelay) {}

  /** To a conversation, or to a user: the direct conversation first, created on first use. */
  @SubscribeMessage(commands.messageSend.event)
  @AuthenticatedOnly()
  async send(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.messageSend>,
  ): Promise<AckOf<typeof commands.messageSend>> {
    const { toUserId, conversationId, ...message } = payload;
    const target =
      conversationId ??
      (
        await this.relay.forward(socket, conversationRequests.getOrCreateDirect, {
          userId: toUserId as string,
        })
      ).id;
    return this.relay.forward(socket, conversationRequests.send, { ...message, conversationId: target });
  }

  @SubscribeMessage(commands.messageEdit.event)
  @AuthenticatedOnly()
  edit(@ConnectedSocket() socket: EdgeSocket, @MessageBody() payload: Payload<typeof commands.messageEdit>) {
    return this.relay.forward(socket, conversationRequests.edit, payload);
  }

  @SubscribeMessage(commands.messageDelete.event)
  @AuthenticatedOnly()
  delete(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.messageDelete>,
  ) {
    return this.relay.forward(socket, conversationRequests.deleteMessage, payload);
  }

  @SubscribeMessage(commands.messageHistory.event)
  @AuthenticatedOnly()
  history(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.messageHistory>,
  ) {
    return this.relay.forward(socket, conversationRequests.history, payload);
  }

  @SubscribeMessage(commands.messageChanges.event)
  @AuthenticatedOnly()
  changes(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.messageChanges>,
  ) {
    return this.relay.forward(socket, conversationRequests.changes, payload);
  }

  @SubscribeMessage(commands.messageRead.event)
  @AuthenticatedOnly()
  read(@ConnectedSocket() socket: EdgeSocket, @MessageBody() payload: Payload<typeof commands.messageRead>) {
    return this.relay.forward(socket, conversationRequests.markRead, payload);
  }

  @SubscribeMessage(commands.reactionAdd.event)
  @AuthenticatedOnly()
  react(@ConnectedSocket() socket: EdgeSocket, @MessageBody() payload: Payload<typeof commands.reactionAdd>) {
    return this.relay.forward(socket, conversationRequests.addReaction, payload);
  }

  @SubscribeMessage(commands.reactionRemove.event)
  @AuthenticatedOnly()
  unreact(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.reactionRemove>,
  ) {
    return this.relay.forward(socket, conversationRequests.removeReaction, payload);
  }

  @SubscribeMessage(commands.conversationList.event)
  @AuthenticatedOnly()
  list(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationList>,
  ) {
    return this.relay.forward(socket, conversationRequests.listMine, payload);
  }

  @SubscribeMessage(commands.conversationGet.event)
  @AuthenticatedOnly()
  get(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationGet>,
  ) {
    return this.relay.forward(socket, conversationRequests.get, payload);
  }

  @SubscribeMessage(commands.conversationCreate.event)
  @AuthenticatedOnly()
  create(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationCreate>,
  ) {
    return this.relay.forward(socket, conversationRequests.createGroup, payload);
  }

  @SubscribeMessage(commands.conversationDirect.event)
  @AuthenticatedOnly()
  direct(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationDirect>,
  ) {
    return this.relay.forward(socket, conversationRequests.getOrCreateDirect, payload);
  }

  @SubscribeMessage(commands.conversationJoin.event)
  @AuthenticatedOnly()
  join(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationJoin>,
  ) {
    return this.relay.forward(socket, conversationRequests.join, payload);
  }

  @SubscribeMessage(commands.participantAdd.event)
  @AuthenticatedOnly()
  add(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.participantAdd>,
  ) {
    return this.relay.forward(socket, conversationRequests.addParticipants, payload);
  }

  @SubscribeMessage(commands.participantRemove.event)
  @AuthenticatedOnly()
  remove(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.participantRemove>,
  ) {
    return this.relay.forward(socket, conversationRequests.removeParticipant, payload);
  }

  @SubscribeMessage(commands.participantLeave.event)
  @AuthenticatedOnly()
  leave(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.participantLeave>,
  ) {
    return this.relay.forward(socket, conversationRequests.leave, payload);
  }

  @SubscribeMessage(commands.participantList.event)
  @AuthenticatedOnly()
  participants(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.participantList>,
  ) {
    return this.relay.forward(socket, conversationRequests.listParticipants, payload);
  }
}
