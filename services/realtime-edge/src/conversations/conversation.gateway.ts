import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import {
  realtimeCommands as commands,
  realtimeEvents,
  type CommandAckOf,
  type ParsedCommandPayloadOf,
  type SyncOutcome,
} from '@parley/contracts';
import { AuthenticatedOnly, RequirePermissions, resourceField } from '@parley/permissions';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { conversationRoom } from '../rooms/room-keys.js';
import { RoomSubscriptions } from '../rooms/room-subscriptions.service.js';
import { SocketErrorFilter } from '../socket/socket-error.filter.js';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';
import { ConversationRooms } from './conversation-rooms.service.js';
import { ReadersService } from './readers.service.js';

const onConversation = { resource: resourceField('conversation', 'conversationId') };

type Payload<C> = ParsedCommandPayloadOf<C>;
type AckOf<C> = CommandAckOf<C>;

/** Following conversations, what is on screen, and typing indicators. */
@WebSocketGateway()
@UseFilters(SocketErrorFilter)
export class ConversationGateway {
  constructor(
    private readonly conversations: ConversationRooms,
    private readonly readers: ReadersService,
    private readonly subscriptions: RoomSubscriptions,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  /**
   * Each conversation is checked on its own (conversation:message:read) as it is followed; a
   * position with a revision number also gets the changed messages it has (message:refreshed).
   */
  @SubscribeMessage(commands.conversationSync.event)
  @AuthenticatedOnly()
  async sync(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationSync>,
  ): Promise<AckOf<typeof commands.conversationSync>> {
    const outcomes: Record<string, SyncOutcome> = {};
    // One after another: each conversation's replay reaches the socket whole, in order.
    for (const [conversationId, position] of Object.entries(payload.conversations)) {
      const { sequence, revision } = typeof position === 'number' ? { sequence: position } : position;
      outcomes[conversationId] = await this.conversations.follow(socket, conversationId, sequence, revision);
    }
    return { conversations: outcomes };
  }

  @SubscribeMessage(commands.conversationUnsubscribe.event)
  @AuthenticatedOnly()
  unsubscribe(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationUnsubscribe>,
  ): AckOf<typeof commands.conversationUnsubscribe> {
    this.conversations.unfollow(socket, payload.conversationId);
    return { conversationId: payload.conversationId };
  }

  @SubscribeMessage(commands.conversationFocus.event)
  @RequirePermissions('conversation:message:read', onConversation)
  async focus(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationFocus>,
  ): Promise<AckOf<typeof commands.conversationFocus>> {
    return {
      conversationId: payload.conversationId,
      reading: await this.readers.focus(socket, payload.conversationId),
    };
  }

  @SubscribeMessage(commands.conversationBlur.event)
  @AuthenticatedOnly()
  async blur(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.conversationBlur>,
  ): Promise<AckOf<typeof commands.conversationBlur>> {
    return {
      conversationId: payload.conversationId,
      reading: await this.readers.blur(socket, payload.conversationId),
    };
  }

  /** Passed on at most once per typing interval per socket and conversation. */
  @SubscribeMessage(commands.typingStart.event)
  @RequirePermissions('conversation:message:send', onConversation)
  typingStart(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.typingStart>,
  ): AckOf<typeof commands.typingStart> {
    const session = sessionOf(socket);
    const now = Date.now();
    const sentAt = session.typingSentAt.get(payload.conversationId);
    if (sentAt !== undefined && now - sentAt < this.settings.typingIntervalMs) {
      return { sent: false };
    }
    session.typingSentAt.set(payload.conversationId, now);
    this.publishTyping(socket, payload.conversationId, true);
    return { sent: true };
  }

  /** Passed on only after a typing:start was. */
  @SubscribeMessage(commands.typingStop.event)
  @RequirePermissions('conversation:message:send', onConversation)
  typingStop(
    @ConnectedSocket() socket: EdgeSocket,
    @MessageBody() payload: Payload<typeof commands.typingStop>,
  ): AckOf<typeof commands.typingStop> {
    if (!sessionOf(socket).typingSentAt.delete(payload.conversationId)) {
      return { sent: false };
    }
    this.publishTyping(socket, payload.conversationId, false);
    return { sent: true };
  }

  /** Straight to the conversation's room on core NATS: ephemeral, never stored. */
  private publishTyping(socket: EdgeSocket, conversationId: string, isTyping: boolean): void {
    const { principal } = sessionOf(socket);
    this.subscriptions.publish(conversationRoom(principal.tenantId, conversationId), {
      kind: 'emit',
      event: realtimeEvents.typing.event,
      data: { conversationId, userId: principal.userId, isTyping },
      exceptSocketId: socket.id,
      at: Date.now(),
    });
  }
}
