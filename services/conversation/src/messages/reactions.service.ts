import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { conversationEvents, ParleyError, type Principal } from '@parley/contracts';
import { OutboxWriter } from '@parley/db';
import { ConversationLookup } from '../conversations/conversation-lookup.service.js';
import type { ConversationRow } from '../conversations/conversation.row.js';
import { int } from '../shared/sql-values.js';
import type { MessageRow } from './message.row.js';
import { MessagesRepository } from './messages.repository.js';
import { requireWritable } from './messages.service.js';
import { ReactionsRepository } from './reactions.repository.js';

interface ReactionRequest {
  conversationId: string;
  messageId: string;
  emoji: string;
}

/** Reactions to published messages: one per user and emoji; each change is published. */
@Injectable()
export class ReactionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly lookup: ConversationLookup,
    private readonly messages: MessagesRepository,
    private readonly reactions: ReactionsRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Reacts; reacting the same way twice changes nothing. A read-only conversation takes no reaction. */
  async add(
    actor: Principal,
    request: ReactionRequest,
  ): Promise<{ messageId: string; emoji: string; added: boolean }> {
    const conversation = await this.lookup.get(actor, request.conversationId);
    requireWritable(conversation);
    const added = await this.dataSource.transaction(async (manager) => {
      const message = await this.reactable(manager, conversation, request.messageId);
      const isNew = await this.reactions.add(manager, message.id, actor.userId, request.emoji);
      if (isNew) {
        await this.outbox.append(manager, conversationEvents.reactionAdded, actor.tenantId, {
          ...(await this.revised(manager, message, request.emoji)),
          userId: actor.userId,
        });
      }
      return isNew;
    });
    return { messageId: request.messageId, emoji: request.emoji, added };
  }

  /** Takes one of the actor's own reactions back. */
  async remove(
    actor: Principal,
    request: ReactionRequest,
  ): Promise<{ messageId: string; emoji: string; removed: boolean }> {
    const conversation = await this.lookup.get(actor, request.conversationId);
    const removed = await this.dataSource.transaction(async (manager) => {
      const message = await this.reactable(manager, conversation, request.messageId);
      const wasThere = await this.reactions.remove(manager, message.id, actor.userId, request.emoji);
      if (wasThere) {
        await this.outbox.append(manager, conversationEvents.reactionRemoved, actor.tenantId, {
          ...(await this.revised(manager, message, request.emoji)),
          userId: actor.userId,
        });
      }
      return wasThere;
    });
    return { messageId: request.messageId, emoji: request.emoji, removed };
  }

  /**
   * A published message that is not deleted, locked until the transaction ends (a message before
   * its conversation, as edits and deletions lock them).
   */
  private async reactable(
    manager: EntityManager,
    conversation: ConversationRow,
    messageId: string,
  ): Promise<MessageRow & { sequence: string | number }> {
    const message = await this.messages.find(manager, conversation.id, messageId, true);
    if (message === undefined || message.sequence === null || message.deleted_at !== null) {
      throw new ParleyError('not_found', 'No such message', { messageId });
    }
    return { ...message, sequence: message.sequence };
  }

  /** The change takes the conversation's next revision; what its event says of the message. */
  private async revised(
    manager: EntityManager,
    message: MessageRow & { sequence: string | number },
    emoji: string,
  ) {
    const revision = await this.messages.revise(manager, message.conversation_id, message.id);
    return {
      conversationId: message.conversation_id,
      messageId: message.id,
      sequence: int(message.sequence),
      revision,
      emoji,
    };
  }
}
