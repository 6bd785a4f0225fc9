import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FileInfo, Principal } from '@parley/contracts';
import { generatedText, startFileUnderTest, type FileUnderTest } from './file.harness.js';

const mib = 1024 * 1024;
const total = 200 * mib;

// The garbage collector on demand, so that samples count what is held, not what awaits collection.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Memory of this process (the service runs in it, and so does the client) sampled every 2 s
 * while `work` runs, each time after a garbage collection: how far the heap plus the buffers
 * outside it rose above where they started.
 */
async function peakGrowth<T>(
  work: () => Promise<T>,
): Promise<{ result: T; growthBytes: number; ms: number }> {
  const used = () => {
    collectGarbage();
    const memory = process.memoryUsage();
    return memory.heapUsed + memory.arrayBuffers;
  };
  const baseline = used();
  const started = Date.now();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 2000);
  try {
    const result = await work();
    peak = Math.max(peak, used());
    return { result, growthBytes: peak - baseline, ms: Date.now() - started };
  } finally {
    clearInterval(sampler);
  }
}

describe.each(['local_filesystem', 'object_store'] as const)('a 200 MB file stored with %s', (driver) => {
  let service: FileUnderTest;
  let owner: Principal;

  beforeAll(async () => {
    service = await startFileUnderTest(driver);
    owner = await service.person();
    // Operators raise a class's limit in its row; this class holds up to 100 MB by default.
    await service.sql(
      "UPDATE file.storage_classes SET max_size_bytes = $1 WHERE name = 'medium_term_90_days'",
      [256 * mib],
    );
  });
  afterAll(() => service.stop());

  it('goes up and comes back down streamed, the memory staying flat', async () => {
    const sent = createHash('sha256');
    async function* hashed() {
      for await (const chunk of generatedText(total)) {
        sent.update(chunk);
        yield chunk;
      }
    }
    const upload = await peakGrowth(async () => {
      const response = await service.upload(owner, hashed(), {
        name: 'large.txt',
        storageClass: 'medium_term_90_days',
        contentType: 'text/plain',
      });
      expect(response.status).toBe(201);
      return (await response.json()) as FileInfo;
    });
    const processing = Date.now();
    const file = await service.processed(upload.result.id, owner);
    const processedMs = Date.now() - processing;
    expect(file).toMatchObject({ status: 'accepted', sizeBytes: total, sha256: sent.digest('hex') });

    const path = await service.downloadUrl(file.id, owner);
    const download = await peakGrowth(async () => {
      const response = await fetch(`${service.baseUrl}${path}`);
      const received = createHash('sha256');
      let bytes = 0;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        received.update(chunk);
        bytes += chunk.length;
      }
      return { bytes, sha256: received.digest('hex') };
    });
    expect(download.result).toEqual({ bytes: total, sha256: file.sha256 });

    // 200 MB went through each way; a copy held anywhere would show as ~200 MB here.
    process.stdout.write(
      `${driver}: upload ${upload.ms} ms, processing ${processedMs} ms, download ${download.ms} ms; memory rose by ${(upload.growthBytes / mib).toFixed(1)} MiB during the upload, ` +
        `${(download.growthBytes / mib).toFixed(1)} MiB during the download\n`,
    );
    expect(upload.growthBytes).toBeLessThan(64 * mib);
    expect(download.growthBytes).toBeLessThan(64 * mib);
  }, 300_000);
});
