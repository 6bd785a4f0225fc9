import { Transform, type TransformCallback } from 'node:stream';
import { ParleyError } from '@parley/contracts';

/**
 * Passes bytes through and counts them, failing with `limit_exceeded` on the first chunk that goes
 * past `maxBytes`: an oversized upload is stopped as soon as it is too large, whatever the client
 * said its length would be.
 */
export class ByteCounter extends Transform {
  private count = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly what: Record<string, unknown> = {},
  ) {
    super();
  }

  /** Bytes passed through so far. */
  get bytes(): number {
    return this.count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      done(tooLarge(this.maxBytes, this.what));
      return;
    }
    done(null, chunk);
  }
}

/** The error of an upload larger than its storage class allows. */
export function tooLarge(maxBytes: number, what: Record<string, unknown> = {}): ParleyError {
  return new ParleyError('limit_exceeded', `The file is larger than the ${maxBytes} bytes allowed`, {
    ...what,
    maxBytes,
  });
}
