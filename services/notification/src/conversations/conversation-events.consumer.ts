import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { conversationEvents as events } from '@parley/contracts';
import { CLOCK, type Clock } from '../notification.options.js';
import { InboxService } from '../notifications/inbox.service.js';
import { EventFollower, type FollowedEvent } from '../shared/event-follower.js';
import { ConversationNotifier } from './conversation-notifier.js';
import { ConversationsRepository } from './conversations.repository.js';

/** The durable consumer of the conversation service's stream. */
export const conversationDurable = 'notification-conversation';

/**
 * Follows every event of the conversation service with one durable consumer, so that they are
 * handled in the order they were published: a participant's arrival before the messages they
 * receive, a mute before the messages it silences.
 */
@Injectable()
export class ConversationEventsConsumer implements OnApplicationBootstrap {
  constructor(
    private readonly follower: EventFollower,
    private readonly notifier: ConversationNotifier,
    private readonly conversations: ConversationsRepository,
    private readonly inbox: InboxService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.follower.follow({
      service: 'conversation',
      durable: conversationDurable,
      contracts: Object.values(events),
      handle: (manager, event) => this.handle(manager, event),
    });
  }

  private async handle(manager: EntityManager, event: FollowedEvent): Promise<void> {
    switch (event.type) {
      case events.conversationCreated.type: {
        const { conversation, participantIds } = events.conversationCreated.payload.parse(event.payload);
        return this.notifier.conversationCreated(manager, event, conversation, participantIds);
      }
      case events.conversationUpdated.type: {
        const { conversation } = events.conversationUpdated.payload.parse(event.payload);
        return this.conversations.recordConversation(manager, conversation, event.tenantId);
      }
      case events.conversationDeleted.type: {
        const { conversationId } = events.conversationDeleted.payload.parse(event.payload);
        return this.conversations.deleteConversation(manager, conversationId, this.clock());
      }
      case events.participantJoined.type: {
        const { participant } = events.participantJoined.payload.parse(event.payload);
        return this.notifier.participantJoined(manager, event, participant);
      }
      case events.participantMuted.type:
      case events.participantStandingChanged.type: {
        const { participant } = events.participantMuted.payload.parse(event.payload);
        return this.conversations.recordParticipant(manager, event.tenantId, participant);
      }
      case events.participantLeft.type: {
        const { conversationId, userId } = events.participantLeft.payload.parse(event.payload);
        return this.conversations.removeParticipant(manager, conversationId, userId);
      }
      case events.messageCreated.type: {
        const { message } = events.messageCreated.payload.parse(event.payload);
        return this.notifier.messageCreated(manager, event, message);
      }
      case events.messageEdited.type: {
        const { message } = events.messageEdited.payload.parse(event.payload);
        return this.notifier.messageEdited(manager, event, message);
      }
      case events.messageDeleted.type: {
        const { message, deletedById } = events.messageDeleted.payload.parse(event.payload);
        return this.notifier.moderated(manager, event, {
          message,
          moderatorId: deletedById,
          outcome: 'removed',
          reason: null,
        });
      }
      case events.reactionAdded.type:
        return this.notifier.reactionAdded(manager, event, events.reactionAdded.payload.parse(event.payload));
      case events.moderationApproved.type: {
        const { message, moderatorId } = events.moderationApproved.payload.parse(event.payload);
        return this.notifier.moderated(manager, event, {
          message,
          moderatorId,
          outcome: 'approved',
          reason: null,
        });
      }
      case events.moderationRejected.type: {
        const { message, moderatorId, reason } = events.moderationRejected.payload.parse(event.payload);
        return this.notifier.moderated(manager, event, { message, moderatorId, outcome: 'rejected', reason });
      }
      case events.receiptUpdated.type: {
        const receipt = events.receiptUpdated.payload.parse(event.payload);
        await this.inbox.conversationRead(manager, event.tenantId, receipt);
        return;
      }
      default:
        // Reactions taken back, the moderation queue: nobody is notified.
        return;
    }
  }
}
