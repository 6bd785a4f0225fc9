import { fileRequests, type Principal } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { ProcessingConsumer } from '../src/processing/processing.consumer.js';
import { ProcessingService } from '../src/processing/processing.service.js';
import { MissingContentError } from '../src/storage/storage-driver.js';
import { StorageDrivers } from '../src/storage/storage-drivers.js';
import { eventually, startFileUnderTest, type FileUnderTest } from './file.harness.js';

describe('processing', () => {
  let service: FileUnderTest;
  let owner: Principal;
  let processing: ProcessingService;

  beforeAll(async () => {
    service = await startFileUnderTest();
    owner = await service.person();
    processing = service.app.get(ProcessingService);
  });
  afterAll(() => service.stop());

  /** Puts a processed file back in the queue's hands, as if its job were delivered again. */
  const reset = (fileId: string, extra = '') =>
    service.sql(
      `UPDATE file.files SET status = 'received', processed_at = NULL, rejection_reason = NULL${extra} WHERE id = $1`,
      [fileId],
    );

  it('does nothing for a file that is processed, deleted or unknown', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('once\n'));
    const deleted = await service.uploadProcessed(owner, Buffer.from('deleted\n'));
    await service.call(fileRequests.delete, { fileId: deleted.id }, owner);
    await reset(deleted.id);
    const before = await eventually(
      () => service.events(),
      (events) => events.some((event) => event.payload['fileId'] === deleted.id),
    );
    await processing.process(file.id);
    await processing.process(deleted.id);
    await processing.process('0190a000-0000-7000-8000-00000000dead');
    const [row] = await service.sql<{ status: string }>('SELECT status FROM file.files WHERE id = $1', [
      deleted.id,
    ]);
    expect(row?.status).toBe('received');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await service.events()).toEqual(before);
  });

  it('rejects a file whose stored content is not the size that was received', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('twelve bytes'));
    await reset(file.id, ', size_bytes = 13');
    await processing.process(file.id);
    await expect(service.call(fileRequests.get, { fileId: file.id }, owner)).resolves.toMatchObject({
      status: 'rejected',
      rejectionReason: 'size_mismatch',
    });
  });

  it('refuses a job that names no file', async () => {
    const consumer = service.app.get(ProcessingConsumer);
    await expect(parleyErrorOf(consumer.handle({ payload: { file: 'x' } }))).resolves.toMatchObject({
      code: 'validation_failed',
      message: 'Invalid processing job',
    });
  });

  it('fails, to be tried again, when the content is missing', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('vanishing\n'));
    const [row] = await service.sql<{ stored_name: string }>(
      'SELECT stored_name FROM file.files WHERE id = $1',
      [file.id],
    );
    await service.app
      .get(StorageDrivers)
      .of('local_filesystem')
      .remove(row?.stored_name ?? '');
    await reset(file.id);
    await expect(processing.process(file.id)).rejects.toBeInstanceOf(MissingContentError);
    await expect(service.call(fileRequests.get, { fileId: file.id }, owner)).resolves.toMatchObject({
      status: 'processing',
    });
  });
});
