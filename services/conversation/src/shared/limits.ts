import { conversationLimits, ParleyError, type ConversationLimit } from '@parley/contracts';

const labels: Record<ConversationLimit, string> = {
  body_length: 'characters in a message',
  participants: 'participants in a group',
  mentions: 'mentions in a message',
  attachments: 'attachments in a message',
  title_length: 'characters in a title',
  topic_length: 'characters in a topic',
};

/**
 * Refuses `actual` above the named limit with `limit_exceeded`, naming the limit and its maximum
 * in `details`, so that a client can tell the user which limit was hit without parsing messages.
 */
export function checkLimit(limit: ConversationLimit, actual: number): void {
  const max = conversationLimits[limit];
  if (actual > max) {
    throw new ParleyError('limit_exceeded', `At most ${max.toLocaleString('en')} ${labels[limit]}`, {
      limit,
      max,
      actual,
    });
  }
}

/** Characters as PostgreSQL's char_length counts them: code points, not UTF-16 units. */
export function characters(text: string): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
  }
  return count;
}
