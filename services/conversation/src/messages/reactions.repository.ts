import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** One emoji's reactions to a message as one reader sees them. */
export interface ReactionSummary {
  emoji: string;
  count: number;
  reactedByMe: boolean;
}

/** Reactions to messages: one per user and emoji. */
@Injectable()
export class ReactionsRepository {
  /** Whether the reaction is new (false when the user had already reacted so). */
  async add(manager: EntityManager, messageId: string, userId: string, emoji: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO conversation.reactions (message_id, user_id, emoji) VALUES ($1, $2, $3)
       ON CONFLICT (message_id, user_id, emoji) DO NOTHING RETURNING id`,
      [messageId, userId, emoji],
    );
    return rows.length > 0;
  }

  /** Whether there was such a reaction to take back. */
  async remove(manager: EntityManager, messageId: string, userId: string, emoji: string): Promise<boolean> {
    const [, count]: [unknown[], number] = await manager.query(
      `DELETE FROM conversation.reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3`,
      [messageId, userId, emoji],
    );
    return count > 0;
  }
}
