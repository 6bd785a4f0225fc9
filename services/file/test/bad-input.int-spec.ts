import { request as httpRequest } from 'node:http';
import { fileRequests, type FileInfo, type Principal } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { elfExecutable, pdfDocument, pngImage, unknownBinary } from './samples.js';
import { eventually, generatedText, startFileUnderTest, type FileUnderTest } from './file.harness.js';

const mib = 1024 * 1024;
const shortTermLimit = 10 * mib;

describe.each(['local_filesystem', 'object_store'] as const)('bad input, files stored with %s', (driver) => {
  let service: FileUnderTest;
  let owner: Principal;

  beforeAll(async () => {
    service = await startFileUnderTest(driver);
    owner = await service.person();
  });
  afterAll(() => service.stop());

  const rows = () => service.sql<{ count: string }>('SELECT count(*) FROM file.files');

  describe('an oversized upload', () => {
    it('is refused from its Content-Length before the body is read, leaving nothing behind', async () => {
      const before = await rows();
      const keys = await service.storedKeys();
      let pulled = 0;
      async function* counted() {
        for await (const chunk of generatedText(shortTermLimit + mib)) {
          pulled += chunk.length;
          yield chunk;
        }
      }
      const response = await service.upload(owner, counted(), {
        name: 'big.txt',
        contentLength: shortTermLimit + mib,
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({
        error: {
          code: 'limit_exceeded',
          message: `The file is larger than the ${shortTermLimit} bytes allowed`,
          details: { storageClass: 'short_term_30_days', maxBytes: shortTermLimit },
        },
      });
      expect(response.headers.get('connection')).toBe('close');
      expect(pulled).toBeLessThan(shortTermLimit);
      expect(await rows()).toEqual(before);
      expect(await service.storedKeys()).toEqual(keys);
    });

    it('without a length is stopped as soon as it goes past the limit, leaving nothing behind', async () => {
      const before = await rows();
      const keys = await service.storedKeys();
      let pulled = 0;
      // Far more than the limit; the client stops being read long before the end.
      async function* endless() {
        for await (const chunk of generatedText(50 * shortTermLimit)) {
          pulled += chunk.length;
          yield chunk;
        }
      }
      const started = Date.now();
      const response = await service.upload(owner, endless(), { name: 'endless.txt' });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: { code: 'limit_exceeded' } });
      expect(pulled).toBeLessThan(shortTermLimit + 16 * mib);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await rows()).toEqual(before);
      expect(await service.storedKeys()).toEqual(keys);
    });

    it('is measured against its own storage class', async () => {
      const response = await service.upload(owner, Buffer.alloc(6 * mib, 'a'), {
        storageClass: 'temporary_less_than_24_hours',
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({
        error: { details: { storageClass: 'temporary_less_than_24_hours', maxBytes: 5 * mib } },
      });
    });
  });

  it('keeps nothing of an upload the client abandons halfway', async () => {
    const before = await rows();
    const keys = await service.storedKeys();
    const request = httpRequest(`${service.baseUrl}/v1/files?name=abandoned.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await service.token(owner)}` },
    });
    request.on('error', () => undefined);
    request.write(Buffer.alloc(mib, 'a'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    request.destroy();
    const after = await eventually(
      async () => ({ rows: await rows(), keys: await service.storedKeys() }),
      (state) => state.keys.length === keys.length,
    );
    expect(after).toEqual({ rows: before, keys });
  });

  it('keeps nothing of an upload it could not record', async () => {
    const before = await rows();
    const keys = await service.storedKeys();
    // A database that refuses the row, after the content was stored.
    await service.sql('ALTER TABLE file.files ADD CONSTRAINT ck_files_test_refusal CHECK (size_bytes <> 13)');
    try {
      const response = await service.upload(owner, Buffer.from('thirteen byte'));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: 'internal', message: 'Internal error' } });
    } finally {
      await service.sql('ALTER TABLE file.files DROP CONSTRAINT ck_files_test_refusal');
    }
    expect(await rows()).toEqual(before);
    expect(await service.storedKeys()).toEqual(keys);
  });

  it('refuses an empty file and keeps nothing', async () => {
    const before = await rows();
    const keys = await service.storedKeys();
    const response = await service.upload(owner, Buffer.alloc(0));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'validation_failed', message: 'The file is empty' },
    });
    expect(await rows()).toEqual(before);
    expect(await service.storedKeys()).toEqual(keys);
  });

  it.each([
    ['../../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\System32\\cmd.exe', 'cmd.exe'],
    ['/absolute/path/to/report.pdf', 'report.pdf'],
    ['..', 'file'],
    ['reports/..', 'file'],
    ['bad\u0000na\u0007me\r\n.txt', 'badname.txt'],
    ['invoice\u202Etxt.exe', 'invoicetxt.exe'],
    ['zero\u200Bwidth\uFEFF.txt', 'zerowidth.txt'],
    ['  spaced out.txt  ', 'spaced out.txt'],
    ['\u0085\u2028', 'file'],
  ])('keeps the name %j as %j and stores the content under a key of its own', async (name, kept) => {
    const response = await service.upload(owner, Buffer.from('harmless\n'), { name });
    expect(response.status).toBe(201);
    const file = (await response.json()) as FileInfo;
    expect(file.name).toBe(kept);
    const [row] = await service.sql<{ stored_name: string }>(
      'SELECT stored_name FROM file.files WHERE id = $1',
      [file.id],
    );
    expect(row?.stored_name).toMatch(new RegExp(`^${owner.tenantId}/\\d{4}/\\d{2}/\\d{2}/${file.id}$`));
    expect(await service.storedKeys()).toContain(row?.stored_name);
  });

  it('offers a name with non-ASCII characters safely on download', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('résumé\n'), {
      name: 'Résumé "final"\r\n; name=x.txt',
    });
    const response = await fetch(`${service.baseUrl}${await service.downloadUrl(file.id, owner)}`);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="R_sum_ _final_; name=x.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3B%20name%3Dx.txt`,
    );
    await response.arrayBuffer();
  });

  it.each([
    ['a PNG image claimed to be a PDF', pngImage(), 'application/pdf', 'image/png'],
    ['text claimed to be a PNG image', Buffer.from('just text\n'), 'image/png', 'text/plain'],
    ['a PDF claimed to be text', pdfDocument(), 'text/plain', 'application/pdf'],
  ])('catches %s', async (_what, body, claimed, detected) => {
    const file = await service.uploadProcessed(owner, body, { contentType: claimed });
    expect(file).toMatchObject({
      status: 'rejected',
      rejectionReason: 'type_mismatch',
      claimedMimeType: claimed,
      mimeType: detected,
    });
    await expectRejectedAndRemoved(file);
  });

  it.each([
    ['an executable', elfExecutable(), 'application/x-elf'],
    ['content of no known type', unknownBinary(), 'application/octet-stream'],
  ])('rejects %s, whatever it is called', async (_what, body, detected) => {
    const file = await service.uploadProcessed(owner, body, { name: 'holiday.jpg' });
    expect(file).toMatchObject({
      status: 'rejected',
      rejectionReason: 'type_not_allowed',
      mimeType: detected,
    });
    await expectRejectedAndRemoved(file);
  });

  it('takes a claim that adds nothing (application/octet-stream, parameters, other spellings) as it means', async () => {
    const generic = await service.uploadProcessed(owner, pdfDocument(), {
      contentType: 'application/octet-stream',
    });
    expect(generic).toMatchObject({ status: 'accepted', claimedMimeType: null, mimeType: 'application/pdf' });
    const alias = await service.uploadProcessed(owner, pngImage(), { contentType: 'IMAGE/X-PNG; name=a' });
    expect(alias).toMatchObject({
      status: 'accepted',
      claimedMimeType: 'image/x-png',
      mimeType: 'image/png',
    });
    const json = await service.uploadProcessed(owner, Buffer.from('{"a":1}\n'), {
      contentType: 'application/json',
    });
    expect(json).toMatchObject({ status: 'accepted', mimeType: 'text/plain' });
  });

  it.each([
    ['no name', 'storageClass=short_term_30_days'],
    ['an unknown storage class', 'name=a.txt&storageClass=forever'],
  ])('refuses an upload with %s', async (_what, query) => {
    const response = await service.upload(owner, Buffer.from('x'), { query });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { code: 'validation_failed', message: 'Invalid query' },
    });
  });

  it('refuses an upload without an access token, without reading the body', async () => {
    let pulled = 0;
    async function* counted() {
      for await (const chunk of generatedText(50 * mib)) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    const response = await service.upload(undefined, counted());
    expect(response.status).toBe(401);
    expect(response.headers.get('connection')).toBe('close');
    await response.arrayBuffer();
    expect(pulled).toBeLessThan(20 * mib);
  });

  it('refuses a malformed file id', async () => {
    const response = await fetch(`${service.baseUrl}/v1/files/not-a-uuid`, {
      headers: { authorization: `Bearer ${await service.token(owner)}` },
    });
    expect(response.status).toBe(400);
    await expect(
      parleyErrorOf(service.send(fileRequests.get, { fileId: '../etc' }, owner)),
    ).resolves.toMatchObject({
      code: 'validation_failed',
    });
  });

  async function expectRejectedAndRemoved(file: FileInfo): Promise<void> {
    // The content goes right after the rejection is recorded, the event as soon as the outbox relays it.
    const [row] = await eventually(
      () =>
        service.sql<{ stored_name: string; purged_at: Date | null }>(
          'SELECT stored_name, purged_at FROM file.files WHERE id = $1',
          [file.id],
        ),
      (rows) => rows[0]?.purged_at !== null,
    );
    expect(row?.purged_at).not.toBeNull();
    expect(await service.storedKeys()).not.toContain(row?.stored_name);
    const events = await eventually(
      () => service.events(),
      (all) => all.some((event) => (event.payload['file'] as FileInfo | undefined)?.id === file.id),
    );
    expect(events).toContainEqual({
      subject: `file.v1.events.${owner.tenantId}.file.rejected`,
      payload: { file: expect.objectContaining({ id: file.id, rejectionReason: file.rejectionReason }) },
    });
    await expect(
      parleyErrorOf(service.call(fileRequests.createDownloadUrl, { fileId: file.id }, owner)),
    ).resolves.toMatchObject({ code: 'conflict', details: { status: 'rejected' } });
  }
});
