import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Conversation, Message, NotificationPriority, Participant } from '@parley/contracts';
import { DirectoryRepository, displayName, type KnownUser } from '../directory/directory.repository.js';
import {
  CLOCK,
  NOTIFICATION_OPTIONS,
  type Clock,
  type NotificationOptions,
} from '../notification.options.js';
import { NotificationWriter } from '../notifications/notification.writer.js';
import type { FollowedEvent } from '../shared/event-follower.js';
import { clip, preview } from '../shared/text.js';
import { ConversationReaders } from './conversation-readers.js';
import { ConversationsRepository, type KnownConversation } from './conversations.repository.js';

/** What one rule notifies of, before names and preferences are applied. */
interface Intent {
  type: string;
  recipients: readonly string[];
  actorId: string;
  priority: NotificationPriority;
  title: (actor: string) => string;
  body: string;
  data: Record<string, unknown>;
  /** What makes it unique per recipient; the event by default. */
  sourceId?: string;
}

/**
 * What a message tells `recipients` it mentions, in the conversation named `where`. A mention is
 * notified once per message and person, whether it came with the message or an edit.
 */
function mentionOf(message: Message, where: string, recipients: readonly string[]): Intent {
  return {
    type: 'mention',
    recipients,
    actorId: message.senderId,
    priority: 'high',
    title: (actor) => `${actor} mentioned you in ${where}`,
    body: preview(message.body, 'Sent an attachment'),
    data: { conversationId: message.conversationId, messageId: message.id, sequence: message.sequence },
    sourceId: `conversation:mention:${message.id}`,
  };
}

const maxTitle = 200;

/** How a notification names a conversation. */
function nameOf(conversation: KnownConversation | undefined): string {
  return conversation?.kind === 'group' && conversation.title !== null
    ? conversation.title
    : 'a direct conversation';
}

const isMuted = (muteExpiresAt: Date | null, now: Date): boolean =>
  muteExpiresAt !== null && muteExpiresAt.getTime() > now.getTime();

/**
 * The rules that turn the conversation service's events into notifications, and the upkeep of the
 * local copy those rules read. Nobody is notified of their own doing. A conversation mute silences
 * messages, replies and reactions in that conversation; a mention, being added and a moderator's
 * decision on one's own post still arrive. Someone reading the conversation right now gets no
 * notification of each new message (they see it), but still of a mention or a reply.
 */
@Injectable()
export class ConversationNotifier {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly directory: DirectoryRepository,
    private readonly readers: ConversationReaders,
    private readonly writer: NotificationWriter,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
  ) {}

  async conversationCreated(
    manager: EntityManager,
    event: FollowedEvent,
    conversation: Conversation,
    participantIds: readonly string[],
  ): Promise<void> {
    await this.conversations.recordConversation(manager, conversation, event.tenantId);
    await this.conversations.addParticipants(manager, event.tenantId, conversation.id, participantIds);
    if (!event.isFresh || conversation.kind !== 'group') {
      // A direct conversation announces itself with its first message.
      return;
    }
    await this.apply(manager, event, {
      type: 'conversation_added',
      recipients: participantIds.filter((id) => id !== conversation.createdById),
      actorId: conversation.createdById,
      priority: 'normal',
      title: (actor) => `${actor} added you to ${conversation.title ?? 'a group'}`,
      body: conversation.topic ?? conversation.title ?? 'A new group',
      data: { conversationId: conversation.id },
    });
  }

  async participantJoined(
    manager: EntityManager,
    event: FollowedEvent,
    participant: Participant,
  ): Promise<void> {
    await this.conversations.recordParticipant(manager, event.tenantId, participant);
    const addedBy = participant.addedById;
    if (!event.isFresh || addedBy === null || addedBy === participant.userId) {
      return;
    }
    const conversation = await this.conversations.findConversation(manager, participant.conversationId);
    await this.apply(manager, event, {
      type: 'conversation_added',
      recipients: [participant.userId],
      actorId: addedBy,
      priority: 'normal',
      title: (actor) => `${actor} added you to ${nameOf(conversation)}`,
      body: `You take part in ${nameOf(conversation)} as ${participant.standing}`,
      data: { conversationId: participant.conversationId },
    });
  }

  async messageCreated(manager: EntityManager, event: FollowedEvent, message: Message): Promise<void> {
    await this.conversations.recordSender(manager, event.tenantId, message);
    if (!event.isFresh) {
      return;
    }
    const conversation = await this.conversations.findConversation(manager, message.conversationId);
    if (conversation === undefined || conversation.deleted_at !== null) {
      return;
    }
    const now = this.clock();
    const participants = (
      await this.conversations.liveParticipants(manager, message.conversationId, now)
    ).filter((participant) => participant.user_id !== message.senderId);
    const taking = new Set(participants.map((participant) => participant.user_id));
    const muted = new Set(
      participants.filter((participant) => isMuted(participant.mute_expires_at, now)).map((p) => p.user_id),
    );
    // Only participants are mentioned: naming an outsider tells them nothing about the conversation.
    const mentioned = new Set(message.mentions.filter((id) => taking.has(id)));
    const repliedTo =
      message.replyToId === null ? undefined : await this.conversations.senderOf(manager, message.replyToId);
    const replied =
      repliedTo !== undefined && taking.has(repliedTo) && !mentioned.has(repliedTo) && !muted.has(repliedTo)
        ? repliedTo
        : undefined;
    const others = [...taking].filter(
      (id) =>
        !mentioned.has(id) &&
        id !== replied &&
        !muted.has(id) &&
        !this.readers.isReading(event.tenantId, message.conversationId, id, now),
    );
    const where = nameOf(conversation);
    const text = preview(message.body, 'Sent an attachment');
    const data = {
      conversationId: message.conversationId,
      messageId: message.id,
      sequence: message.sequence,
    };
    const from = { actorId: message.senderId, body: text, data };
    await this.apply(manager, event, mentionOf(message, where, [...mentioned]));
    await this.apply(manager, event, {
      ...from,
      type: 'reply',
      recipients: replied === undefined ? [] : [replied],
      priority: 'normal',
      title: (actor) => `${actor} replied to you in ${where}`,
    });
    await this.apply(manager, event, {
      ...from,
      type: 'message',
      recipients: others,
      priority: 'normal',
      title: (actor) => (conversation.kind === 'group' ? `${actor} in ${where}` : actor),
    });
  }

  /**
   * An edit that mentions someone the message did not mention before notifies them, once; mentions
   * notified already, and edits of messages still waiting for a moderator, notify nobody. Nor do
   * edits of messages older than NOTIFICATION_RETENTION: their first mentions may have been pruned,
   * and would be notified again.
   */
  async messageEdited(manager: EntityManager, event: FollowedEvent, message: Message): Promise<void> {
    if (!event.isFresh || message.status !== 'published' || message.mentions.length === 0) {
      return;
    }
    const publishedAt = Date.parse(message.publishedAt ?? message.createdAt);
    if (this.clock().getTime() - publishedAt > this.options.notificationRetentionMs) {
      return;
    }
    const conversation = await this.conversations.findConversation(manager, message.conversationId);
    if (conversation === undefined || conversation.deleted_at !== null) {
      return;
    }
    const taking = new Set(
      (await this.conversations.liveParticipants(manager, message.conversationId, this.clock()))
        .map((participant) => participant.user_id)
        .filter((id) => id !== message.senderId),
    );
    await this.apply(
      manager,
      event,
      mentionOf(
        message,
        nameOf(conversation),
        message.mentions.filter((id) => taking.has(id)),
      ),
    );
  }

  async reactionAdded(
    manager: EntityManager,
    event: FollowedEvent,
    reaction: { conversationId: string; messageId: string; sequence: number; userId: string; emoji: string },
  ): Promise<void> {
    if (!event.isFresh) {
      return;
    }
    const author = await this.conversations.senderOf(manager, reaction.messageId);
    if (author === undefined || author === reaction.userId) {
      return;
    }
    const now = this.clock();
    const participant = (
      await this.conversations.liveParticipants(manager, reaction.conversationId, now)
    ).find((candidate) => candidate.user_id === author);
    if (participant === undefined || isMuted(participant.mute_expires_at, now)) {
      return;
    }
    const conversation = await this.conversations.findConversation(manager, reaction.conversationId);
    await this.apply(manager, event, {
      type: 'reaction',
      recipients: [author],
      actorId: reaction.userId,
      priority: 'low',
      title: (actor) => `${actor} reacted ${reaction.emoji} to your message`,
      body: `In ${nameOf(conversation)}`,
      data: {
        conversationId: reaction.conversationId,
        messageId: reaction.messageId,
        sequence: reaction.sequence,
      },
    });
  }

  /** A moderator approved or refused a post, or someone else deleted it: its sender learns of it. */
  async moderated(
    manager: EntityManager,
    event: FollowedEvent,
    decision: {
      message: Message;
      moderatorId: string;
      outcome: 'approved' | 'rejected' | 'removed';
      reason: string | null;
    },
  ): Promise<void> {
    const { message, moderatorId, outcome } = decision;
    if (!event.isFresh || moderatorId === message.senderId) {
      return;
    }
    const conversation = await this.conversations.findConversation(manager, message.conversationId);
    const where = nameOf(conversation);
    const quoted = preview(message.body, 'your attachment');
    const reason = decision.reason === null ? '' : ` Reason: ${decision.reason}`;
    const rules = {
      approved: { type: 'moderation_approved', title: `Your post in ${where} was approved`, body: quoted },
      rejected: {
        type: 'moderation_rejected',
        title: `Your post in ${where} was not approved`,
        body: `${quoted}${reason}`,
      },
      removed: { type: 'message_removed', title: `Your message in ${where} was removed`, body: quoted },
    } as const;
    const rule = rules[outcome];
    await this.apply(manager, event, {
      type: rule.type,
      recipients: [message.senderId],
      actorId: moderatorId,
      priority: 'normal',
      title: () => rule.title,
      body: rule.body,
      data: { conversationId: message.conversationId, messageId: message.id },
    });
  }

  /** Names the actor, leaves out recipients identity reports inactive, and writes the notifications. */
  private async apply(manager: EntityManager, event: FollowedEvent, intent: Intent): Promise<void> {
    if (intent.recipients.length === 0) {
      return;
    }
    const users: Map<string, KnownUser> = await this.directory.findUsers(manager, [
      ...intent.recipients,
      intent.actorId,
    ]);
    const recipients = intent.recipients.filter((id) => {
      const user = users.get(id);
      return id !== intent.actorId && (user === undefined || user.status === 'active');
    });
    await this.writer.create(
      manager,
      {
        tenantId: event.tenantId,
        type: intent.type,
        title: clip(intent.title(displayName(users, intent.actorId)), maxTitle),
        body: clip(intent.body, 2_000),
        data: intent.data,
        priority: intent.priority,
        actorId: intent.actorId,
        sourceId: intent.sourceId ?? `conversation:${event.msgId}`,
        origin: 'event',
      },
      recipients,
    );
  }
}
