import type { RoomOrder } from '@parley/contracts';

/** What the sequence orders: anything that may say where it stands in its conversation. */
export interface Ordered {
  readonly order?: RoomOrder | undefined;
}

/**
 * The order of one conversation's live events on one instance. Events reach an instance in any
 * order (several instances consume the conversation's events at once); this puts them back in
 * sequence order and drops repeats:
 *
 * - `creates` n (a published message) is released once n - 1 was, and dropped when n was already;
 * - `follows` n (an edit, a reaction, a receipt of message n) is released once n was;
 * - an event without order (a typing indicator, a participant change) is released at once.
 *
 * Until `start` gives the sequence number the conversation stood at, everything ordered waits.
 */
export class ConversationSequence<E extends Ordered> {
  private last: number | undefined;
  private readonly pending: E[] = [];

  /** The last sequence number released; undefined before `start`. */
  get lastSequence(): number | undefined {
    return this.last;
  }

  /** Events waiting for an earlier one. */
  get waiting(): number {
    return this.pending.length;
  }

  /** Where the conversation stood when the instance started following it; releases what waited. */
  start(last: number): E[] {
    this.last = Math.max(this.last ?? last, last);
    return this.drain();
  }

  /** Takes one event; returns the events to send now, in order. */
  offer(event: E): E[] {
    const order = event.order;
    if (order === undefined) {
      return [event];
    }
    if (this.last === undefined) {
      this.insert(event, order);
      return [];
    }
    if (order.creates) {
      if (order.sequence <= this.last) {
        return [];
      }
      if (order.sequence === this.last + 1) {
        this.last = order.sequence;
        return [event, ...this.drain()];
      }
    } else if (order.sequence <= this.last) {
      return [event];
    }
    this.insert(event, order);
    return [];
  }

  /**
   * The first sequence number missing while a later message waits; undefined when nothing waits
   * behind a gap.
   */
  missing(): number | undefined {
    if (this.last === undefined) {
      return undefined;
    }
    const last = this.last;
    return this.pending.some((event) => event.order !== undefined && event.order.sequence > last + 1)
      ? last + 1
      : undefined;
  }

  /** The lowest sequence number of a message that waits; undefined when none does. */
  nextWaiting(): number | undefined {
    return this.pending.find((event) => event.order?.creates === true)?.order?.sequence;
  }

  /** Counts everything up to `sequence` as sent (it came another way, or cannot come); releases what it can. */
  advanceTo(sequence: number): E[] {
    this.last = Math.max(this.last ?? sequence, sequence);
    return this.drain();
  }

  private drain(): E[] {
    const released: E[] = [];
    const last = (): number => this.last as number;
    while (this.pending.length > 0) {
      const head = this.pending[0] as E;
      const order = head.order as RoomOrder;
      if (order.creates && order.sequence <= last()) {
        this.pending.shift();
      } else if (order.creates && order.sequence === last() + 1) {
        this.pending.shift();
        this.last = order.sequence;
        released.push(head);
      } else if (!order.creates && order.sequence <= last()) {
        this.pending.shift();
        released.push(head);
      } else {
        break;
      }
    }
    return released;
  }

  /** Sorted by sequence; a message before what follows it; equal events in arrival order. */
  private insert(event: E, order: RoomOrder): void {
    const rank = (candidate: RoomOrder): number => candidate.sequence * 2 + (candidate.creates ? 0 : 1);
    const wanted = rank(order);
    let index = this.pending.length;
    while (index > 0 && rank((this.pending[index - 1] as E).order as RoomOrder) > wanted) {
      index -= 1;
    }
    this.pending.splice(index, 0, event);
  }
}
