import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  conversationEvents,
  realtimeEvents,
  type EmitEnvelope,
  type RoomEnvelope,
  type RoomRef,
  type SessionEndReason,
} from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { SessionExpiry } from '../connections/session-expiry.js';
import { ConversationRooms } from '../conversations/conversation-rooms.service.js';
import { RoomBroadcaster } from './room-broadcaster.js';
import { RoomSubscriptions } from './room-subscriptions.service.js';

const createdPayload = conversationEvents.conversationCreated.payload;
const joinedPayload = conversationEvents.participantJoined.payload;

/**
 * What this instance does with an envelope of a room it holds: conversation events go through the
 * conversation's order; others go to the room's sockets at once. In a user's room, a conversation
 * created with the user or the user added to one makes their sockets follow it, and `end-session`
 * disconnects the sockets of the ended session.
 */
@Injectable()
export class RoomDispatcher implements OnModuleInit {
  private readonly logger = createLogger(RoomDispatcher.name);

  constructor(
    private readonly subscriptions: RoomSubscriptions,
    private readonly conversations: ConversationRooms,
    private readonly broadcaster: RoomBroadcaster,
    private readonly registry: ConnectionRegistry,
    private readonly expiry: SessionExpiry,
  ) {}

  onModuleInit(): void {
    this.subscriptions.onEnvelope((room, envelope) => this.dispatch(room, envelope));
  }

  dispatch(room: RoomRef, envelope: RoomEnvelope): void {
    if (envelope.kind === 'end-session') {
      this.endSessions(room, envelope.sessionId, envelope.reason);
      return;
    }
    if (room.kind === 'conversation') {
      this.conversations.receive(room, envelope);
      return;
    }
    this.broadcaster.emit(room, envelope);
    if (room.kind === 'user') {
      this.followNew(room, envelope);
    }
  }

  /** A conversation the user now takes part in: their sockets follow it from where they joined. */
  private followNew(room: RoomRef, envelope: EmitEnvelope): void {
    if (envelope.event === realtimeEvents.conversationCreated.event) {
      const parsed = createdPayload.safeParse(envelope.data);
      if (parsed.success) {
        const { conversation } = parsed.data;
        this.conversations.followForUser(room.tenantId, room.id, conversation.id, {
          sequence: conversation.lastSequence,
          revision: conversation.lastRevision,
        });
      }
    } else if (envelope.event === realtimeEvents.participantAdded.event) {
      const parsed = joinedPayload.safeParse(envelope.data);
      if (parsed.success && parsed.data.participant.userId === room.id) {
        const { participant, lastRevision } = parsed.data;
        this.conversations.followForUser(room.tenantId, room.id, participant.conversationId, {
          sequence: participant.lastReadSequence,
          revision: lastRevision,
        });
      }
    }
  }

  private endSessions(room: RoomRef, sessionId: string | null, reason: SessionEndReason): void {
    if (room.kind !== 'user') {
      this.logger.warn({ kind: room.kind }, 'Ignored an end-session envelope outside a user room');
      return;
    }
    for (const socket of this.registry.socketsOf(room.tenantId, room.id)) {
      if (sessionId === null || socket.data.principal.sessionId === sessionId) {
        this.expiry.end(socket, reason);
      }
    }
  }
}
