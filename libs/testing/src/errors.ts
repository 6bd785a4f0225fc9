import { ParleyError } from '@parley/contracts';

/** What `fn` throws; fails the test when it throws nothing. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a throw');
}

/** The ParleyError a promise rejects with; fails the test on success or on any other error. */
export async function parleyErrorOf(promise: Promise<unknown>): Promise<ParleyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ParleyError) {
      return error;
    }
    throw error;
  }
  throw new Error('Expected a ParleyError');
}

/** Polls `probe` until `predicate` holds or `timeoutMs` passes; returns the last value either way. */
export async function eventually<T>(
  probe: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (predicate(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
