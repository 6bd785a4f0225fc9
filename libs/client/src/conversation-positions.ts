import type { ConversationPosition } from '@parley/contracts';

/** What a message's sequence number means for a conversation the client follows. */
export type Arrival = 'next' | 'repeat' | 'gap';

/**
 * Where the client stands in one conversation: a position, or only the last sequence number when
 * the revision number is not known (then no change to earlier messages is asked for).
 */
export type Standpoint = number | ConversationPosition;

/**
 * The revision numbers seen of one conversation: every one up to `through` (as a change, or in a
 * message sent as it is after it), some after it, and the messages sent as they are at a revision
 * above `through` (a change to one of them up to that revision is in it already).
 */
interface Revisions {
  through: number;
  readonly ahead: Set<number>;
  readonly states: Map<string, number>;
  /** `through` when `states` was last pruned. */
  prunedAt: number;
}

/**
 * The last sequence number seen in each followed conversation, and the revision number up to which
 * every change to its messages was seen: what the client asks the edge to continue from after a
 * reconnect, and the check that every message and every change arrives once.
 */
export class ConversationPositions {
  private readonly last = new Map<string, number>();
  private readonly revisions = new Map<string, Revisions>();

  /** Every followed conversation with where the client stands in it. */
  snapshot(): Record<string, Standpoint> {
    const standpoints: Record<string, Standpoint> = {};
    for (const [conversationId, sequence] of this.last) {
      const revisions = this.revisions.get(conversationId);
      standpoints[conversationId] =
        revisions === undefined ? sequence : { sequence, revision: revisions.through };
    }
    return standpoints;
  }

  get(conversationId: string): number | undefined {
    return this.last.get(conversationId);
  }

  /** The revision number up to which every change was seen; undefined when not known. */
  revision(conversationId: string): number | undefined {
    return this.revisions.get(conversationId)?.through;
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

  /** Follows from a standpoint, or moves forward to it. */
  place(conversationId: string, standpoint: Standpoint): void {
    if (typeof standpoint === 'number') {
      this.set(conversationId, standpoint);
      return;
    }
    this.set(conversationId, standpoint.sequence);
    this.setRevision(conversationId, standpoint.revision);
  }

  /** Every change up to `revision` was seen (a catch-up sent it); never backwards. */
  setRevision(conversationId: string, revision: number): void {
    const revisions = this.revisions.get(conversationId);
    if (revisions === undefined) {
      this.revisions.set(conversationId, {
        through: revision,
        ahead: new Set(),
        states: new Map(),
        prunedAt: revision,
      });
      return;
    }
    revisions.through = Math.max(revisions.through, revision);
    settle(revisions);
  }

  forget(conversationId: string): void {
    this.last.delete(conversationId);
    this.revisions.delete(conversationId);
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

  /** A message was sent as it is at `revision` (a catch-up): changes to it up to there are in it. */
  noteState(conversationId: string, messageId: string, revision: number): void {
    const revisions = this.revisions.get(conversationId);
    if (revisions === undefined || revision <= revisions.through) {
      return;
    }
    if (revisions.states.size >= maxStates) {
      revisions.states.clear();
    }
    revisions.states.set(messageId, Math.max(revisions.states.get(messageId) ?? 0, revision));
  }

  /**
   * Takes a change (an edit, a deletion, a reaction) to a message that took `revision`: false when
   * it was seen already, as a change or in the message sent as it is after it. Changes may arrive
   * out of order; the revision number moves over those without a gap. A conversation whose
   * revision number is not known takes every change.
   */
  acceptChange(conversationId: string, messageId: string, revision: number): boolean {
    const revisions = this.revisions.get(conversationId);
    if (revisions === undefined) {
      return true;
    }
    if (revision <= revisions.through || revisions.ahead.has(revision)) {
      return false;
    }
    revisions.ahead.add(revision);
    const inState = (revisions.states.get(messageId) ?? 0) >= revision;
    settle(revisions);
    return !inState;
  }

  /** Whether a revision is missing below one seen: changes that should have come did not (yet). */
  hasRevisionGap(conversationId: string): boolean {
    return (this.revisions.get(conversationId)?.ahead.size ?? 0) > 0;
  }
}

/** Messages remembered per conversation as sent at a revision above `through`. */
const maxStates = 10_000;

/** Moves `through` over the revisions seen after it without a gap; forgets what it passed. */
function settle(revisions: Revisions): void {
  for (const revision of revisions.ahead) {
    if (revision <= revisions.through) {
      revisions.ahead.delete(revision);
    }
  }
  while (revisions.ahead.delete(revisions.through + 1)) {
    revisions.through += 1;
  }
  if (revisions.prunedAt === revisions.through) {
    return;
  }
  revisions.prunedAt = revisions.through;
  for (const [messageId, revision] of revisions.states) {
    if (revision <= revisions.through) {
      revisions.states.delete(messageId);
    }
  }
}
