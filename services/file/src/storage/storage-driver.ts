import type { Readable } from 'node:stream';
import type { StorageDriverKind } from '../file.options.js';

/** Bytes `start` to `end` of a file, both included (as in an HTTP Range). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Where the content of files is kept. Keys are made by the service (`<tenant>/<yyyy>/<mm>/<dd>/<id>`),
 * never taken from a request. Content goes in and out as streams, so no driver ever holds a whole
 * file in memory.
 */
export interface StorageDriver {
  readonly kind: StorageDriverKind;
  /**
   * Stores everything `content` yields under `key`. Settles once the content is stored; when the
   * stream fails (it went past a size limit, the client went away), nothing is left under the key
   * and the stream's error is what it rejects with.
   */
  write(key: string, content: Readable): Promise<void>;
  /** The content, or the range of it; `MissingContentError` when there is none under the key. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the content; removing what is not there succeeds. */
  remove(key: string): Promise<void>;
}

/**
 * A key without content where the database says there is some: a broken invariant (the content was
 * removed behind the service's back), reported as an internal error, never to a caller as a
 * missing file.
 */
export class MissingContentError extends Error {
  override readonly name = 'MissingContentError';

  constructor(readonly key: string) {
    super(`No content is stored under ${key}`);
  }
}
