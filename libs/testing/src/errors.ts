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
