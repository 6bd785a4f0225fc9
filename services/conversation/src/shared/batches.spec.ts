import { Batches, type BatchRun } from './batches.js';

/** A batch run that records its batches and answers each only when told to. */
function recorded() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const run: BatchRun<number, number> = (items) => {
    batches.push([...items]);
    return new Promise((resolve) => {
      pending.push(() => resolve(items.map((item) => ({ status: 'fulfilled', value: item * 10 }))));
    });
  };
  const finishNext = async () => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, run, finishNext };
}

describe('Batches', () => {
  it('sends what arrives in one turn together, and what arrives meanwhile in the next batch', async () => {
    const { batches, run, finishNext } = recorded();
    const queue = new Batches(run, { size: 10, concurrency: 1 });
    const first = [1, 2, 3].map((item) => queue.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3]]);
    const second = [4, 5].map((item) => queue.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.queued).toBe(2);
    await finishNext();
    await expect(Promise.all(first)).resolves.toEqual([10, 20, 30]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    await finishNext();
    await expect(Promise.all(second)).resolves.toEqual([40, 50]);
  });

  it('holds at most `size` items per batch and runs at most `concurrency` batches at once', async () => {
    const { batches, run, finishNext } = recorded();
    const queue = new Batches(run, { size: 2, concurrency: 2 });
    const all = [1, 2, 3, 4, 5, 6, 7].map((item) => queue.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(queue.queued).toBe(3);
    await finishNext();
    expect(batches.at(-1)).toEqual([5, 6]);
    await finishNext();
    await finishNext();
    await finishNext();
    await expect(Promise.all(all)).resolves.toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it('gives each item its own outcome, and every item the failure of a failed run', async () => {
    const settled = new Batches<number, number>(
      async (items) =>
        items.map((item) =>
          item % 2 === 0
            ? { status: 'fulfilled', value: item }
            : { status: 'rejected', reason: new Error(`odd ${item}`) },
        ),
      { size: 10, concurrency: 1 },
    );
    await expect(Promise.allSettled([1, 2].map((item) => settled.submit(item)))).resolves.toEqual([
      { status: 'rejected', reason: new Error('odd 1') },
      { status: 'fulfilled', value: 2 },
    ]);
    const failing = new Batches<number, number>(() => Promise.reject(new Error('database gone')), {
      size: 10,
      concurrency: 1,
    });
    const outcomes = await Promise.allSettled([1, 2].map((item) => failing.submit(item)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    const short = new Batches<number, number>(async () => [], { size: 10, concurrency: 1 });
    await expect(short.submit(1)).rejects.toThrow('The batch returned no outcome for item 0');
  });

  it('never runs two batches with the same key at once, and keeps the order within a key', async () => {
    const { batches, run, finishNext } = recorded();
    const queue = new Batches(run, { size: 3, concurrency: 2, key: (item: number) => String(item % 10) });
    // Keys: 11 → 1, 21 → 1, 12 → 2, 31 → 1, 13 → 3, 14 → 4.
    const all = [11, 21, 12, 31, 13, 14].map((item) => queue.submit(item));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([
      [11, 21, 12],
      [13, 14],
    ]);
    expect(queue.queued).toBe(1);
    await finishNext();
    expect(batches.at(-1)).toEqual([31]);
    await finishNext();
    await finishNext();
    await expect(Promise.all(all)).resolves.toEqual([110, 210, 120, 310, 130, 140]);
  });

  it('refuses limits under one', () => {
    const run: BatchRun<number, number> = async () => [];
    expect(() => new Batches(run, { size: 0, concurrency: 1 })).toThrow(RangeError);
    expect(() => new Batches(run, { size: 1, concurrency: 0 })).toThrow(RangeError);
  });
});
