import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ParleyError } from '@parley/contracts';
import { MissingContentError, type ByteRange, type StorageDriver } from './storage-driver.js';

// What the service's own keys look like: lowercase hex, digits and hyphens, in '/'-separated parts.
const keyPattern = /^[0-9a-f-]+(\/[0-9a-f-]+)*$/;

/**
 * Files in a directory of the local filesystem: one file per key, below `root`. A file is written
 * under a temporary name beside its final one and renamed when complete, so a reader never sees
 * half a file and a failed write leaves nothing under the key.
 */
export class LocalFilesystemDriver implements StorageDriver {
  readonly kind = 'local_filesystem';
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async write(key: string, content: Readable): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.${randomUUID()}.partial`;
    try {
      await pipeline(content, createWriteStream(partial, { flags: 'wx' }));
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    try {
      // Opened first, so that a missing file is an error here rather than on the stream later.
      const handle = await open(path, 'r');
      return handle.createReadStream(range === undefined ? {} : { start: range.start, end: range.end });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new MissingContentError(key);
      }
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** The path of a key; a key that is not one of the service's own never reaches the filesystem. */
  private pathOf(key: string): string {
    const path = resolve(this.root, key);
    if (!keyPattern.test(key) || !path.startsWith(`${this.root}${sep}`)) {
      throw new ParleyError('internal', 'Not a storage key', { key });
    }
    return path;
  }
}
