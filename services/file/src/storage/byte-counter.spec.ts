import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ParleyError } from '@parley/contracts';
import { ByteCounter } from './byte-counter.js';

async function drain(chunks: Buffer[], counter: ByteCounter): Promise<number> {
  let received = 0;
  await pipeline(
    Readable.from(chunks),
    counter,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done();
      },
    }),
  );
  return received;
}

describe('ByteCounter', () => {
  it('passes everything up to the limit through and counts it', async () => {
    const counter = new ByteCounter(10);
    await expect(drain([Buffer.alloc(4), Buffer.alloc(6)], counter)).resolves.toBe(10);
    expect(counter.bytes).toBe(10);
  });

  it('fails on the first chunk past the limit', async () => {
    const counter = new ByteCounter(10, { storageClass: 'indefinite' });
    const failure = await drain([Buffer.alloc(8), Buffer.alloc(3), Buffer.alloc(100)], counter).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ParleyError);
    expect(failure).toMatchObject({
      code: 'limit_exceeded',
      details: { storageClass: 'indefinite', maxBytes: 10 },
    });
    expect(counter.bytes).toBe(11);
  });
});
