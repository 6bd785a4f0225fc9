import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { connectNats, Namespace } from '@parley/nats';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { LocalFilesystemDriver } from '../src/storage/local-filesystem.driver.js';
import { objectChunkBytes, ObjectStoreDriver } from '../src/storage/object-store.driver.js';
import { MissingContentError, type StorageDriver } from '../src/storage/storage-driver.js';

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Numbered bytes, so that any misplaced range shows. */
function content(bytes: number, seed = 0): Buffer {
  const data = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += 1) {
    data[at] = (at * 31 + seed) % 251;
  }
  return data;
}

/** A stream that yields some bytes and then fails, as an upload going past its limit does. */
function failingAfter(bytes: number, error: Error): Readable {
  return Readable.from(
    (async function* () {
      yield content(bytes);
      throw error;
    })(),
  );
}

const key = () => `${randomUUID()}/2030/01/01/${randomUUID()}`;

describe('storage drivers', () => {
  let nats: NatsConnection;
  let directory: string;
  let bucket: string;
  const drivers: Record<string, StorageDriver> = {};

  beforeAll(async () => {
    nats = await connectNats({ url: natsUrl(), name: 'file-storage-test' });
    directory = await mkdtemp(join(tmpdir(), 'parley-storage-'));
    bucket = new Namespace(uniqueNamespace()).stream('file_content');
    drivers['local_filesystem'] = new LocalFilesystemDriver(directory);
    drivers['object_store'] = await ObjectStoreDriver.open(nats, bucket, 1);
  });
  afterAll(async () => {
    await (await jetstreamManager(nats)).streams.delete(`OBJ_${bucket}`);
    await nats.drain();
    await rm(directory, { recursive: true, force: true });
  });

  describe.each(['local_filesystem', 'object_store'])('%s', (kind) => {
    const driver = () => drivers[kind] as StorageDriver;

    it('gives back what it stored, whole or in ranges', async () => {
      const data = content(3 * objectChunkBytes + 123);
      const name = key();
      await driver().write(name, Readable.from([data]));
      expect((await bytesOf(await driver().read(name))).equals(data)).toBe(true);
      for (const [start, end] of [
        [0, 0],
        [objectChunkBytes - 1, objectChunkBytes],
        [2 * objectChunkBytes + 5, data.length - 1],
        [data.length - 1, data.length - 1],
      ] as const) {
        const part = await bytesOf(await driver().read(name, { start, end }));
        expect(part.equals(data.subarray(start, end + 1))).toBe(true);
      }
    });

    it('keeps nothing of a write whose content fails, and fails with its error', async () => {
      const name = key();
      const error = new ParleyError('limit_exceeded', 'Too large');
      await expect(driver().write(name, failingAfter(2 * objectChunkBytes + 7, error))).rejects.toBe(error);
      await expect(driver().read(name)).rejects.toBeInstanceOf(MissingContentError);
    });

    it('stores and gives back empty content', async () => {
      const name = key();
      await driver().write(name, Readable.from([]));
      expect((await bytesOf(await driver().read(name))).length).toBe(0);
    });

    it('removes content, and removing nothing is fine', async () => {
      const name = key();
      await driver().write(name, Readable.from([content(10)]));
      await driver().remove(name);
      await driver().remove(name);
      await expect(driver().read(name)).rejects.toThrow(`No content is stored under ${name}`);
    });
  });

  it('reads a range of an object whose chunks were written between those of another', async () => {
    const store = drivers['object_store'] as StorageDriver;
    const [first, second] = [content(4 * objectChunkBytes, 1), content(4 * objectChunkBytes, 2)];
    const [a, b] = [key(), key()];
    // Two writes at once interleave their chunks in the bucket's stream.
    await Promise.all([
      store.write(a, Readable.from(slices(first))),
      store.write(b, Readable.from(slices(second))),
    ]);
    const start = 3 * objectChunkBytes + 10;
    const part = await bytesOf(await store.read(b, { start, end: start + 99 }));
    expect(part.equals(second.subarray(start, start + 100))).toBe(true);
    expect((await bytesOf(await store.read(a))).equals(first)).toBe(true);
  });

  it('reports chunks missing from the bucket as an internal error', async () => {
    const store = drivers['object_store'] as StorageDriver;
    const jsm = await jetstreamManager(nats);
    const [whole, last] = [key(), key()];
    for (const name of [whole, last]) {
      await store.write(name, Readable.from([content(3 * objectChunkBytes)]));
    }
    const chunksOf = async (name: string) => {
      const info = await (await new Objm(nats).open(bucket)).info(name);
      return `$O.${bucket}.C.${info?.nuid ?? ''}`;
    };
    await jsm.streams.purge(`OBJ_${bucket}`, { filter: await chunksOf(whole) });
    await expect(bytesOf(await store.read(whole))).rejects.toMatchObject({
      code: 'internal',
      message: 'The chunks of a stored object are missing',
    });
    // Only the last chunk left: the second one is missing.
    await jsm.streams.purge(`OBJ_${bucket}`, { filter: await chunksOf(last), keep: 1 });
    await expect(bytesOf(await store.read(last))).rejects.toMatchObject({
      code: 'internal',
      message: 'A chunk of a stored object is missing',
    });
  });

  it('leaves no partial file in the directory', async () => {
    const local = drivers['local_filesystem'] as StorageDriver;
    await local.write(key(), failingAfter(1000, new Error('gone'))).catch(() => undefined);
    const files = await readdir(directory, { recursive: true });
    expect(files.filter((file) => file.endsWith('.partial'))).toEqual([]);
  });

  it('never turns something that is not a storage key into a path', async () => {
    const local = drivers['local_filesystem'] as StorageDriver;
    for (const name of ['../outside', '/etc/passwd', 'UPPER/case', '']) {
      await expect(local.read(name)).rejects.toMatchObject({
        code: 'internal',
        message: 'Not a storage key',
      });
    }
  });
});

/** The content in small pieces, so that two writes take turns. */
function* slices(data: Buffer): Generator<Buffer> {
  for (let at = 0; at < data.length; at += 64 * 1024) {
    yield data.subarray(at, at + 64 * 1024);
  }
}
