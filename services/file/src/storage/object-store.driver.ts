import { Readable } from 'node:stream';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { MissingContentError, type ByteRange, type StorageDriver } from './storage-driver.js';

/**
 * Size of the messages a file is cut into: NATS's default max_payload (the object store client
 * cuts chunks to the server's limit when it is lower). Larger chunks mean fewer round trips per
 * file; the benchmark measured downloads at about twice the rate with 1 MiB chunks as with 256 KiB.
 */
export const objectChunkBytes = 1024 * 1024;

/**
 * Files in a NATS JetStream object store bucket, replicated with the NATS cluster. Writing uses the
 * object store client, which publishes one chunk at a time and waits for each to be stored, and
 * purges the chunks already stored when the content stream fails. Reading fetches one chunk at a
 * time with direct gets, so a slow reader holds back the next fetch instead of letting chunks pile
 * up in memory, and a range starts at the chunk that holds its first byte.
 */
export class ObjectStoreDriver implements StorageDriver {
  readonly kind = 'object_store';

  private constructor(
    private readonly store: ObjectStore,
    private readonly jsm: JetStreamManager,
    private readonly bucket: string,
  ) {}

  /** Opens the bucket, creating it with `replicas` copies when it does not exist yet. */
  static async open(nats: NatsConnection, bucket: string, replicas: number): Promise<ObjectStoreDriver> {
    const store = await new Objm(nats).create(bucket, { storage: StorageType.File, replicas });
    return new ObjectStoreDriver(store, await jetstreamManager(nats), bucket);
  }

  async write(key: string, content: Readable): Promise<void> {
    try {
      await this.store.put(
        { name: key, options: { max_chunk_size: objectChunkBytes } },
        webStreamOf(content),
      );
    } catch (error) {
      // The store stops reading when it fails; the content's source must not wait for it.
      content.destroy();
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const info = await this.store.info(key);
    if (info === null || info.deleted) {
      throw new MissingContentError(key);
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? info.size - 1;
    return Readable.from(this.chunks(info, start, end), { objectMode: false });
  }

  async remove(key: string): Promise<void> {
    await this.store.delete(key);
  }

  /** The bytes `start` to `end` of the object, chunk by chunk. */
  private async *chunks(info: ObjectInfo, start: number, end: number): AsyncGenerator<Uint8Array> {
    if (info.size === 0) {
      return;
    }
    const subject = `$O.${this.bucket}.C.${info.nuid}`;
    const chunkBytes = info.options?.max_chunk_size ?? objectChunkBytes;
    let { sequence, offset } = await this.firstChunkFor(subject, info.chunks, chunkBytes, start);
    while (offset <= end) {
      const message = await this.jsm.direct.getMessage(this.streamName, {
        seq: sequence,
        next_by_subj: subject,
      });
      if (message === null) {
        throw new ParleyError('internal', 'A chunk of a stored object is missing', { name: info.name });
      }
      const data = message.data;
      const from = Math.max(start - offset, 0);
      const to = Math.min(end - offset + 1, data.length);
      if (from < to) {
        yield data.subarray(from, to);
      }
      offset += data.length;
      sequence = message.seq + 1;
    }
  }

  /**
   * Where reading starts: the sequence and offset of the chunk holding `start` when the object's
   * chunks are consecutive messages (nothing else was written in between), else its first chunk.
   */
  private async firstChunkFor(
    subject: string,
    chunks: number,
    chunkBytes: number,
    start: number,
  ): Promise<{ sequence: number; offset: number }> {
    const first = await this.jsm.direct.getMessage(this.streamName, { seq: 1, next_by_subj: subject });
    if (first === null) {
      throw new ParleyError('internal', 'The chunks of a stored object are missing', { subject });
    }
    const index = Math.floor(start / chunkBytes);
    if (index === 0) {
      return { sequence: first.seq, offset: 0 };
    }
    const last = await this.jsm.direct.getMessage(this.streamName, { last_by_subj: subject });
    if (last !== null && last.seq - first.seq + 1 === chunks) {
      return { sequence: first.seq + index, offset: index * chunkBytes };
    }
    return { sequence: first.seq, offset: 0 };
  }

  private get streamName(): string {
    return `OBJ_${this.bucket}`;
  }
}

/**
 * A web stream reading a Node stream one chunk per pull: nothing is read ahead of the consumer,
 * and an error of the Node stream errors the web stream.
 */
function webStreamOf(source: Readable): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done === true) {
          controller.close();
        } else {
          controller.enqueue(next.value);
        }
      },
    },
    { highWaterMark: 0 },
  );
}
