import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What travels with one unit of work (a request, an event) through every async hop. */
export interface RequestContextValues {
  correlationId: string;
  tenantId?: string;
  actorId?: string;
}

const storage = new AsyncLocalStorage<RequestContextValues>();

export const requestContext = {
  /** Runs `fn` with `values` as the current context. */
  run<T>(values: RequestContextValues, fn: () => T): T {
    return storage.run({ ...values }, fn);
  },
  /** The current context, if any. */
  get(): RequestContextValues | undefined {
    return storage.getStore();
  },
  /** The current correlation id, or a new one when called outside any context. */
  correlationId(): string {
    return storage.getStore()?.correlationId ?? randomUUID();
  },
  /** Adds what became known later (e.g. the actor after the token was verified). */
  assign(values: Partial<RequestContextValues>): void {
    const store = storage.getStore();
    if (store) {
      Object.assign(store, values);
    }
  },
};
