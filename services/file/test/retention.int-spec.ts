import { fileRequests, type FileInfo, type Principal } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { RetentionService } from '../src/retention/retention.service.js';
import { unknownBinary } from './samples.js';
import { eventually, startFileUnderTest, type FileUnderTest } from './file.harness.js';

const hour = 3600_000;
const day = 24 * hour;

describe.each(['local_filesystem', 'object_store'] as const)(
  'retention of files stored with %s',
  (driver) => {
    let service: FileUnderTest;
    let owner: Principal;
    let retention: RetentionService;

    beforeAll(async () => {
      service = await startFileUnderTest(driver);
      owner = await service.person();
      retention = service.app.get(RetentionService);
    });
    afterAll(() => service.stop());
    afterEach(() => service.clock.reset());

    const row = async (file: FileInfo) =>
      (
        await service.sql<{ stored_name: string; deleted_at: Date | null; purged_at: Date | null }>(
          'SELECT stored_name, deleted_at, purged_at FROM file.files WHERE id = $1',
          [file.id],
        )
      )[0];

    it('deletes and purges files their storage class lets go, and announces them', async () => {
      const temporary = await service.uploadProcessed(owner, Buffer.from('scratch\n'), {
        storageClass: 'temporary_less_than_24_hours',
      });
      const kept = await service.uploadProcessed(owner, Buffer.from('kept a month\n'));
      const stored = await row(temporary);
      expect(await service.storedKeys()).toContain(stored?.stored_name);

      service.clock.advance(23 * hour);
      await expect(retention.run()).resolves.toMatchObject({ expired: 0 });

      service.clock.advance(2 * hour);
      await expect(retention.run()).resolves.toEqual({ expired: 1, purgedDeleted: 0, purgedRejected: 0 });
      const after = await row(temporary);
      expect(after?.deleted_at).not.toBeNull();
      expect(after?.purged_at).not.toBeNull();
      expect(await service.storedKeys()).not.toContain(stored?.stored_name);
      await expect(
        parleyErrorOf(service.call(fileRequests.get, { fileId: temporary.id }, owner)),
      ).resolves.toMatchObject({ code: 'not_found' });
      await expect(service.call(fileRequests.get, { fileId: kept.id }, owner)).resolves.toMatchObject({
        status: 'accepted',
      });
      const events = await eventually(
        () => service.events(),
        (all) => all.some((event) => event.payload['reason'] === 'expired'),
      );
      expect(events).toContainEqual({
        subject: `file.v1.events.${owner.tenantId}.file.deleted`,
        payload: {
          fileId: temporary.id,
          ownerId: owner.userId,
          reason: 'expired',
          deletedAt: expect.any(String),
        },
      });
      // A second run finds nothing left to do.
      await expect(retention.run()).resolves.toEqual({ expired: 0, purgedDeleted: 0, purgedRejected: 0 });
    });

    it('purges a deleted file once the grace period is over, not before', async () => {
      const file = await service.uploadProcessed(owner, Buffer.from('deleted soon\n'), {
        storageClass: 'indefinite',
      });
      await service.call(fileRequests.delete, { fileId: file.id }, owner);
      const stored = await row(file);

      service.clock.advance(6 * day);
      await expect(retention.run()).resolves.toMatchObject({ purgedDeleted: 0 });
      expect(await service.storedKeys()).toContain(stored?.stored_name);

      service.clock.advance(2 * day);
      await expect(retention.run()).resolves.toMatchObject({ purgedDeleted: 1 });
      expect((await row(file))?.purged_at).not.toBeNull();
      expect(await service.storedKeys()).not.toContain(stored?.stored_name);
    });

    it('purges a rejected file whose content is still stored', async () => {
      const rejected = await service.uploadProcessed(owner, unknownBinary());
      expect(rejected.status).toBe('rejected');
      // As if processing had stopped between recording the rejection and removing the content.
      await service.sql('UPDATE file.files SET purged_at = NULL WHERE id = $1', [rejected.id]);
      await expect(retention.run()).resolves.toMatchObject({ purgedRejected: 1 });
      expect((await row(rejected))?.purged_at).not.toBeNull();
    });

    it('runs once at a time: a run asked for during another joins it', async () => {
      const [first, second] = await Promise.all([retention.run(), retention.run()]);
      expect(second).toBe(first);
    });
  },
);

describe('the retention job', () => {
  let service: FileUnderTest;

  beforeAll(async () => {
    service = await startFileUnderTest('local_filesystem', { FILE_RETENTION_INTERVAL: '1s' });
  });
  afterAll(() => service.stop());

  it('runs on its own, every FILE_RETENTION_INTERVAL', async () => {
    const owner = await service.person();
    const file = await service.uploadProcessed(owner, Buffer.from('scratch\n'), {
      storageClass: 'temporary_less_than_24_hours',
    });
    service.clock.advance(day);
    const purged = await eventually(
      () =>
        service.sql<{ purged_at: Date | null }>('SELECT purged_at FROM file.files WHERE id = $1', [file.id]),
      (rows) => rows[0]?.purged_at !== null,
      5000,
    );
    expect(purged[0]?.purged_at).not.toBeNull();
  });
});
