import type { ConversationPosition } from '@parley/contracts';

/** What a message's sequence number means for a conversation the client follows. */
export type Arrival = 'next' | 'repeat' | 'gap';

/**
 * Where the client stands in one conversation: a position, or only the last sequence number when
 * the revision number is not known (then no change to earlier messages is asked for).
 */
export type Standpoint = number | ConversationPosition;

/** A change to a message: of its text (an edit, a deletion), or one user's reaction. */
export type Change =
  | { readonly kind: 'text'; readonly messageId: string; readonly revision: number }
  | {
      readonly kind: 'reaction';
      readonly messageId: string;
      readonly userId: string;
      readonly emoji: string;
      readonly revision: number;
    };

/**
 * The revision numbers seen of one conversation: every one up to `through` (as a change, or inside
 * a message given as it is after it; undefined until known), and those seen after it. Above
 * `through`, per message, the revision of the text and of the reactions the client was last given,
 * and of the last change of each user's reaction: a change at or below them is in what it has.
 */
interface Revisions {
  through: number | undefined;
  readonly ahead: Set<number>;
  readonly texts: Map<string, number>;
  readonly reactions: Map<string, number>;
  /** `through` when the maps were last pruned. */
  prunedAt: number | undefined;
}

/** Entries remembered per conversation and map, above `through`. */
const maxRemembered = 10_000;

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
      const revision = this.revision(conversationId);
      standpoints[conversationId] = revision === undefined ? sequence : { sequence, revision };
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
    const revisions = this.revisionsOf(conversationId);
    revisions.through = Math.max(revisions.through ?? revision, revision);
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

  /**
   * A message was given to the client as it is at `revision`, with its reactions (`withReactions`:
   * a catch-up) or without (an edit, a deletion): changes to it up to there are in it.
   */
  noteState(conversationId: string, messageId: string, revision: number, withReactions: boolean): void {
    const revisions = this.revisionsOf(conversationId);
    if (revision <= (revisions.through ?? 0)) {
      return;
    }
    remember(revisions.texts, messageId, revision);
    if (withReactions) {
      remember(revisions.reactions, messageId, revision);
    }
  }

  /**
   * Takes a change to a message: false when the client has it already — the same change again, or
   * one the client's copy is newer than (an older edit arriving after a newer one, a change inside
   * a message given as it is after it). Changes may arrive out of order; the revision number moves
   * over those without a gap.
   */
  acceptChange(conversationId: string, change: Change): boolean {
    const revisions = this.revisionsOf(conversationId);
    const { revision } = change;
    if (revision <= (revisions.through ?? 0) || revisions.ahead.has(revision)) {
      return false;
    }
    if (revisions.through === undefined && revisions.ahead.size >= maxRemembered) {
      // Not settled until the revision number is known: keep it bounded meanwhile.
      revisions.ahead.clear();
    }
    revisions.ahead.add(revision);
    let isNew: boolean;
    if (change.kind === 'text') {
      isNew = (revisions.texts.get(change.messageId) ?? 0) < revision;
      if (isNew) {
        remember(revisions.texts, change.messageId, revision);
      }
    } else {
      // Reactions of different users commute; one user's reaction and its taking back do not.
      const key = `${change.messageId} ${change.userId} ${change.emoji}`;
      isNew =
        (revisions.reactions.get(change.messageId) ?? 0) < revision &&
        (revisions.reactions.get(key) ?? 0) < revision;
      if (isNew) {
        remember(revisions.reactions, key, revision);
      }
    }
    settle(revisions);
    return isNew;
  }

  /** Whether a revision is missing below one seen: changes that should have come did not (yet). */
  hasRevisionGap(conversationId: string): boolean {
    const revisions = this.revisions.get(conversationId);
    return revisions?.through !== undefined && revisions.ahead.size > 0;
  }

  private revisionsOf(conversationId: string): Revisions {
    let revisions = this.revisions.get(conversationId);
    if (revisions === undefined) {
      revisions = {
        through: undefined,
        ahead: new Set(),
        texts: new Map(),
        reactions: new Map(),
        prunedAt: undefined,
      };
      this.revisions.set(conversationId, revisions);
    }
    return revisions;
  }
}

function remember(map: Map<string, number>, key: string, revision: number): void {
  if (map.size >= maxRemembered && !map.has(key)) {
    map.clear();
  }
  map.set(key, Math.max(map.get(key) ?? 0, revision));
}

/** Moves `through` over the revisions seen after it without a gap; forgets what it passed. */
function settle(revisions: Revisions): void {
  const through = revisions.through;
  if (through === undefined) {
    return;
  }
  for (const revision of revisions.ahead) {
    if (revision <= through) {
      revisions.ahead.delete(revision);
    }
  }
  let next = through;
  while (revisions.ahead.delete(next + 1)) {
    next += 1;
  }
  revisions.through = next;
  if (revisions.prunedAt === next) {
    return;
  }
  revisions.prunedAt = next;
  for (const map of [revisions.texts, revisions.reactions]) {
    for (const [key, revision] of map) {
      if (revision <= next) {
        map.delete(key);
      }
    }
  }
}
