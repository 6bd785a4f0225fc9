/** How a batch handles its items: one outcome per item, in order. */
export type BatchRun<I, O> = (items: readonly I[]) => Promise<Array<PromiseSettledResult<O>>>;

export interface BatchLimits<I> {
  /** Items handled together at most. */
  size: number;
  /** Batches under way at once; items arriving meanwhile wait and go together in the next one. */
  concurrency: number;
  /**
   * What an item contends for (e.g. the row it locks). Batches under way at once never share a
   * key: an item whose key is busy waits for the next batch after the one holding it, so
   * batches do not queue behind each other's locks, and items of one key stay in order.
   */
  key?: (item: I) => string;
}

interface Waiting<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (reason: unknown) => void;
}

/**
 * Handles items that arrive together as one batch. While fewer than `concurrency` batches are
 * under way, whatever arrived in the same turn of the event loop goes at once; under load, items
 * queue behind the batches under way and the next batch takes up to `size` of them. A quiet
 * system so adds no wait, and a busy one pays one round trip for many items.
 */
export class Batches<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private running = 0;
  private scheduled = false;
  private readonly busy = new Set<string>();

  constructor(
    private readonly run: BatchRun<I, O>,
    private readonly limits: BatchLimits<I>,
  ) {
    if (!(limits.size >= 1 && limits.concurrency >= 1)) {
      throw new RangeError('A batch holds at least one item and at least one batch runs at once');
    }
  }

  /** The outcome of `item` once its batch has been handled. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.start();
        });
      }
    });
  }

  /** Items waiting for a batch. */
  get queued(): number {
    return this.waiting.length;
  }

  private start(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) {
      const batch = this.take();
      if (batch.length === 0) {
        return;
      }
      this.running += 1;
      void this.handle(batch);
    }
  }

  /** The next batch: the first waiting items whose keys no batch under way holds. */
  private take(): Array<Waiting<I, O>> {
    const key = this.limits.key;
    if (key === undefined) {
      return this.waiting.splice(0, this.limits.size);
    }
    const taken: Array<Waiting<I, O>> = [];
    const left: Array<Waiting<I, O>> = [];
    const keys = new Set<string>();
    for (const entry of this.waiting) {
      const entryKey = key(entry.item);
      if (taken.length < this.limits.size && !this.busy.has(entryKey)) {
        taken.push(entry);
        keys.add(entryKey);
      } else {
        left.push(entry);
      }
    }
    this.waiting = left;
    keys.forEach((entryKey) => this.busy.add(entryKey));
    return taken;
  }

  private async handle(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const outcomes = await this.run(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => {
        const outcome = outcomes[index];
        if (outcome === undefined) {
          entry.reject(new Error(`The batch returned no outcome for item ${index}`));
        } else if (outcome.status === 'fulfilled') {
          entry.resolve(outcome.value);
        } else {
          entry.reject(outcome.reason);
        }
      });
    } catch (error) {
      batch.forEach((entry) => entry.reject(error));
    } finally {
      const key = this.limits.key;
      if (key !== undefined) {
        batch.forEach((entry) => this.busy.delete(key(entry.item)));
      }
      this.running -= 1;
      this.start();
    }
  }
}
