/** What a message's sequence number means for a conversation the client follows. */
export type Arrival = 'next' | 'repeat' | 'gap';

/**
 * The last sequence number seen in each followed conversation: what the client asks the edge to
 * continue from after a reconnect, and the check that every message arrives once and in order.
 */
export class ConversationPositions {
  private readonly last = new Map<string, number>();

  /** Every followed conversation with its last sequence number. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.last);
  }

  get(conversationId: string): number | undefined {
    return this.last.get(conversationId);
  }

  has(conversationId: string): boolean {
    return this.last.has(conversationId);
  }

  /** Follows a conversation from `sequence`, or moves forward to it; never backwards. */
  set(conversationId: string, sequence: number): void {
    const current = this.last.get(conversationId);
    if (current === undefined || sequence > current) {
      this.last.set(conversationId, sequence);
    }
  }

  forget(conversationId: string): void {
    this.last.delete(conversationId);
  }

  /**
   * Takes a message: `next` moves the position (a conversation not followed yet starts at it),
   * `repeat` was seen already, `gap` skips messages (the position stays for a catch-up).
   */
  accept(conversationId: string, sequence: number): Arrival {
    const current = this.last.get(conversationId);
    if (current !== undefined && sequence <= current) {
      return 'repeat';
    }
    if (current !== undefined && sequence > current + 1) {
      return 'gap';
    }
    this.last.set(conversationId, sequence);
    return 'next';
  }
}
