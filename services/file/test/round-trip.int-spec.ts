import { createHash } from 'node:crypto';
import { fileRequests, type FileInfo, type Principal } from '@parley/contracts';
import { objectChunkBytes } from '../src/storage/object-store.driver.js';
import { pngImage } from './samples.js';
import { eventually, startFileUnderTest, type FileUnderTest } from './file.harness.js';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Text long enough to span several object store chunks. */
function longText(bytes: number): Buffer {
  const text = Buffer.alloc(bytes);
  for (let at = 0, line = 0; at < bytes; line += 1) {
    at += text.write(`${String(line).padStart(8, '0')} the quick brown fox jumps over the lazy dog\n`, at);
  }
  return text;
}

describe.each(['local_filesystem', 'object_store'] as const)('files stored with %s', (driver) => {
  let service: FileUnderTest;
  let owner: Principal;
  const content = longText(2 * objectChunkBytes + 700 * 1024 + 17);
  let file: FileInfo;
  let downloadPath: string;

  beforeAll(async () => {
    service = await startFileUnderTest(driver);
    owner = await service.person();
    file = await service.uploadProcessed(owner, content, {
      name: 'fox.txt',
      contentType: 'text/plain; charset=utf-8',
      storageClass: 'short_term_30_days',
    });
    downloadPath = await service.downloadUrl(file.id, owner);
  });
  afterAll(() => service.stop());

  it('answers an upload with the received file and where to find it', async () => {
    const response = await service.upload(owner, Buffer.from('hello\n'), { name: 'hello.txt' });
    expect(response.status).toBe(201);
    const received = (await response.json()) as FileInfo;
    expect(response.headers.get('location')).toBe(`/v1/files/${received.id}`);
    expect(received).toMatchObject({
      ownerId: owner.userId,
      tenantId: owner.tenantId,
      name: 'hello.txt',
      storageClass: 'short_term_30_days',
      sizeBytes: 6,
      claimedMimeType: null,
      status: 'received',
      sha256: null,
    });
    const expiresIn = Date.parse(received.expiresAt ?? '') - Date.parse(received.createdAt);
    expect(Math.abs(expiresIn - 30 * 24 * 3600 * 1000)).toBeLessThan(5000);
  });

  it('accepts the file after hashing it and detecting its type from the content', () => {
    expect(file).toMatchObject({
      status: 'accepted',
      sizeBytes: content.length,
      sha256: sha256(content),
      mimeType: 'text/plain',
      extension: 'txt',
      claimedMimeType: 'text/plain',
      rejectionReason: null,
    });
    expect(file.processedAt).not.toBeNull();
  });

  it('announces the accepted file', async () => {
    const events = await eventually(
      () => service.events(),
      (all) => all.some((event) => (event.payload['file'] as FileInfo | undefined)?.id === file.id),
    );
    expect(events).toContainEqual({
      subject: `file.v1.events.${owner.tenantId}.file.accepted`,
      payload: { file: expect.objectContaining({ id: file.id, status: 'accepted', sha256: file.sha256 }) },
    });
  });

  it('serves the content byte for byte through a signed URL, with safe headers', async () => {
    const response = await fetch(`${service.baseUrl}${downloadPath}`);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(content.length);
    expect(sha256(body)).toBe(sha256(content));
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(content.length),
      'content-disposition': `attachment; filename="fox.txt"; filename*=UTF-8''fox.txt`,
      'x-content-type-options': 'nosniff',
      'accept-ranges': 'bytes',
      etag: `"${file.sha256}"`,
      'cache-control': 'private, max-age=86400, immutable',
    });
  });

  it('serves ranges, across chunk boundaries too', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=1048570-1048580', objectChunkBytes - 6, objectChunkBytes + 4],
      [`bytes=${2 * objectChunkBytes + 5}-`, 2 * objectChunkBytes + 5, content.length - 1],
      ['bytes=-100', content.length - 100, content.length - 1],
      ['bytes=1500000-99999999', 1500000, content.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const response = await fetch(`${service.baseUrl}${downloadPath}`, { headers: { range } });
      expect(response.status).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/${content.length}`);
      expect(Buffer.from(await response.arrayBuffer()).equals(content.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers a range past the end with 416 and ignores what it may ignore', async () => {
    const beyond = await fetch(`${service.baseUrl}${downloadPath}`, {
      headers: { range: `bytes=${content.length}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${content.length}`);
    await beyond.arrayBuffer();
    const ignored: Array<Record<string, string>> = [
      { range: 'bytes=0-1,5-6' },
      { range: 'items=0-1' },
      { range: 'bytes=9-2' },
      { range: 'bytes=0-9', 'if-range': '"another-version"' },
    ];
    for (const headers of ignored) {
      const whole = await fetch(`${service.baseUrl}${downloadPath}`, { headers });
      expect(whole.status).toBe(200);
      expect((await whole.arrayBuffer()).byteLength).toBe(content.length);
    }
    const current = await fetch(`${service.baseUrl}${downloadPath}`, {
      headers: { range: 'bytes=0-9', 'if-range': `"${file.sha256}"` },
    });
    expect(current.status).toBe(206);
    await current.arrayBuffer();
  });

  it('keeps serving after a client gives up halfway through a download', async () => {
    const abort = new AbortController();
    const response = await fetch(`${service.baseUrl}${downloadPath}`, { signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    abort.abort();
    const again = await fetch(`${service.baseUrl}${downloadPath}`);
    expect((await again.arrayBuffer()).byteLength).toBe(content.length);
  });

  it('answers HEAD without a body and a matching If-None-Match with 304', async () => {
    const head = await fetch(`${service.baseUrl}${downloadPath}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(content.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const partial = await fetch(`${service.baseUrl}${downloadPath}`, {
      method: 'HEAD',
      headers: { range: 'bytes=0-9' },
    });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-length')).toBe('10');
    const unchanged = await fetch(`${service.baseUrl}${downloadPath}`, {
      headers: { 'if-none-match': `W/"other", "${file.sha256}"` },
    });
    expect(unchanged.status).toBe(304);
  });

  it('keeps pictures as pictures and lets them be shown inline', async () => {
    const image = await service.uploadProcessed(owner, pngImage(), {
      name: 'dot.png',
      contentType: 'image/png',
    });
    expect(image).toMatchObject({ status: 'accepted', mimeType: 'image/png', extension: 'png' });
    const inline = await fetch(`${service.baseUrl}${await service.downloadUrl(image.id, owner, 'inline')}`);
    expect(inline.headers.get('content-disposition')).toBe(
      `inline; filename="dot.png"; filename*=UTF-8''dot.png`,
    );
    expect(Buffer.from(await inline.arrayBuffer()).equals(pngImage())).toBe(true);
    // Text is never shown in place, whatever is asked.
    const text = await fetch(`${service.baseUrl}${await service.downloadUrl(file.id, owner, 'inline')}`);
    expect(text.headers.get('content-disposition')).toMatch(/^attachment;/);
    await text.arrayBuffer();
  });

  it('lets caches keep a download as long as its storage class says, never past the expiry', async () => {
    const expected = {
      temporary_less_than_24_hours: 'private, max-age=300, immutable',
      long_term_1_year: 'private, max-age=604800, immutable',
      indefinite: 'private, no-store',
    } as const;
    for (const [storageClass, cacheControl] of Object.entries(expected)) {
      const stored = await service.uploadProcessed(owner, Buffer.from(`kept in ${storageClass}\n`), {
        storageClass: storageClass as keyof typeof expected,
      });
      expect(stored.expiresAt === null).toBe(storageClass === 'indefinite');
      const response = await fetch(`${service.baseUrl}${await service.downloadUrl(stored.id, owner)}`);
      expect(response.headers.get('cache-control')).toBe(cacheControl);
      await response.arrayBuffer();
    }
  });

  it('serves the same metadata over HTTP and NATS', async () => {
    const response = await fetch(`${service.baseUrl}/v1/files/${file.id}`, {
      headers: { authorization: `Bearer ${await service.token(owner)}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(await service.call(fileRequests.get, { fileId: file.id }, owner));
    const url = await fetch(`${service.baseUrl}/v1/files/${file.id}/download-url?disposition=inline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await service.token(owner)}` },
    });
    expect(url.status).toBe(200);
    expect(await url.json()).toEqual({
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3005\/v1\/downloads\/[\w-]+\.[\w-]+\.[\w-]+$/),
      expiresAt: expect.any(String),
    });
  });
});
