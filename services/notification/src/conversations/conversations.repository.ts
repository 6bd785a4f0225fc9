import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Conversation, Message, Participant } from '@parley/contracts';
import type { SqlTimestamp } from '../shared/sql-values.js';

/** A conversation as notifications name it. */
export interface KnownConversation {
  conversation_id: string;
  kind: Conversation['kind'];
  title: string | null;
  deleted_at: SqlTimestamp | null;
}

/** A participant a message may notify. */
export interface LiveParticipant {
  user_id: string;
  mute_expires_at: SqlTimestamp | null;
}

/**
 * The local copy of the conversation service's conversations, participants and message senders,
 * kept from its events: what a message event needs to know (who takes part, who muted) without
 * calling the conversation service for every message.
 */
@Injectable()
export class ConversationsRepository {
  async recordConversation(
    manager: EntityManager,
    conversation: Conversation,
    tenantId: string,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO notification.conversations (conversation_id, tenant_id, kind, title)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (conversation_id) DO UPDATE SET title = EXCLUDED.title
       WHERE conversations.title IS DISTINCT FROM EXCLUDED.title`,
      [conversation.id, tenantId, conversation.kind, conversation.title],
    );
  }

  async deleteConversation(manager: EntityManager, conversationId: string, deletedAt: Date): Promise<void> {
    await manager.query(
      `UPDATE notification.conversations SET deleted_at = $2 WHERE conversation_id = $1 AND deleted_at IS NULL`,
      [conversationId, deletedAt],
    );
    await manager.query(`DELETE FROM notification.conversation_participants WHERE conversation_id = $1`, [
      conversationId,
    ]);
  }

  /** Users who joined at creation: no mute, no end to their membership yet. */
  async addParticipants(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    userIds: readonly string[],
  ): Promise<void> {
    await manager.query(
      `INSERT INTO notification.conversation_participants (conversation_id, user_id, tenant_id)
       SELECT $1::uuid, user_id, $2::uuid FROM unnest($3::uuid[]) AS p(user_id)
       ON CONFLICT (conversation_id, user_id) DO NOTHING`,
      [conversationId, tenantId, userIds],
    );
  }

  /** A participant as a participant event describes them (joined, muted, standing changed). */
  async recordParticipant(manager: EntityManager, tenantId: string, participant: Participant): Promise<void> {
    await manager.query(
      `INSERT INTO notification.conversation_participants
         (conversation_id, user_id, tenant_id, mute_expires_at, membership_expires_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (conversation_id, user_id) DO UPDATE SET
         mute_expires_at = EXCLUDED.mute_expires_at, membership_expires_at = EXCLUDED.membership_expires_at`,
      [
        participant.conversationId,
        participant.userId,
        tenantId,
        participant.mutedUntil,
        participant.validUntil,
      ],
    );
  }

  async removeParticipant(manager: EntityManager, conversationId: string, userId: string): Promise<void> {
    await manager.query(
      `DELETE FROM notification.conversation_participants WHERE conversation_id = $1 AND user_id = $2`,
      [conversationId, userId],
    );
  }

  async findConversation(
    manager: EntityManager,
    conversationId: string,
  ): Promise<KnownConversation | undefined> {
    const rows: KnownConversation[] = await manager.query(
      `SELECT conversation_id, kind, title, deleted_at FROM notification.conversations WHERE conversation_id = $1`,
      [conversationId],
    );
    return rows[0];
  }

  /** The participants whose membership has not ended at `now`, in user id order. */
  liveParticipants(manager: EntityManager, conversationId: string, now: Date): Promise<LiveParticipant[]> {
    return manager.query(
      `SELECT user_id, mute_expires_at FROM notification.conversation_participants
       WHERE conversation_id = $1 AND (membership_expires_at IS NULL OR membership_expires_at > $2)
       ORDER BY user_id`,
      [conversationId, now],
    );
  }

  async recordSender(manager: EntityManager, tenantId: string, message: Message): Promise<void> {
    await manager.query(
      `INSERT INTO notification.message_senders (message_id, tenant_id, conversation_id, sender_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [message.id, tenantId, message.conversationId, message.senderId],
    );
  }

  async senderOf(manager: EntityManager, messageId: string): Promise<string | undefined> {
    const rows: Array<{ sender_id: string }> = await manager.query(
      `SELECT sender_id FROM notification.message_senders WHERE message_id = $1`,
      [messageId],
    );
    return rows[0]?.sender_id;
  }

  /** Forgets senders of messages older than `before`; returns how many. */
  async pruneSenders(manager: EntityManager, before: Date): Promise<number> {
    const result: unknown = await manager.query(
      `DELETE FROM notification.message_senders WHERE created_at < $1`,
      [before],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
