import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { deadLetterStream, eventStreamName, fileCatalog, fileProcessing } from '@parley/contracts';
import { auditRequirements, CatalogRegistration } from '@parley/permissions';
import { Namespace } from '@parley/nats';
import { describeServiceHealth, uniqueNamespace } from '@parley/testing';
import { provisionProcessingQueue } from '../src/bootstrap.service.js';
import { startFileUnderTest, type FileUnderTest } from './file.harness.js';

describeServiceHealth({
  service: 'file',
  start: () => startFileUnderTest(),
  // The harness answers identity's key set request itself, with the keys of its test signer.
  tokenCheck: false,
  more: (service: () => FileUnderTest) => {
    it('has its event stream, its processing queue and the dead letters stream', async () => {
      const jsm = await jetstreamManager(service().nats);
      const events = await jsm.streams.info(service().namespace.stream(eventStreamName('file')));
      expect(events.config.retention).toBe(RetentionPolicy.Limits);
      const queue = await jsm.streams.info(service().namespace.stream(fileProcessing.stream));
      expect(queue.config.retention).toBe(RetentionPolicy.Workqueue);
      expect(queue.config.subjects).toEqual([service().namespace.subject(fileProcessing.subject)]);
      await expect(
        jsm.streams.info(service().namespace.stream(deadLetterStream.name)),
      ).resolves.toBeDefined();
    });

    it('provisions the processing queue once, and refuses a stream of that name that is no work queue', async () => {
      const jsm = await jetstreamManager(service().nats);
      await provisionProcessingQueue(jsm, service().namespace, 1);
      const other = new Namespace(uniqueNamespace());
      const name = other.stream(fileProcessing.stream);
      await jsm.streams.add({ name, subjects: [other.subject(fileProcessing.subject)] });
      try {
        await expect(provisionProcessingQueue(jsm, other, 1)).rejects.toMatchObject({
          code: 'conflict',
          message: `Stream ${name} exists and is not a work queue`,
        });
      } finally {
        await jsm.streams.delete(name);
      }
    });

    it('declares a requirement on every handler and registers its catalog', async () => {
      const report = auditRequirements(service().app);
      expect(report.undeclared).toEqual([]);
      expect(report.outsideCatalog).toEqual([]);
      expect(report.handlers.map((handler) => handler.route)).toEqual(
        expect.arrayContaining(['file.v1.file.get', 'file.v1.file.attach', 'POST /v1/files']),
      );
      await service().app.get(CatalogRegistration).registered;
      expect(fileCatalog.permissions.map((entry) => entry.permission)).toEqual([
        'file:file:create',
        'file:file:read',
        'file:file:delete',
      ]);
    });
  },
});
