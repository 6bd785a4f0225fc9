import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { fileRequests, permissionRequests, type FileInfo, type Principal } from '@parley/contracts';
import { parleyErrorOf } from '@parley/testing';
import { newPrincipal } from '../../permission/test/tokens.js';
import { publishTenantCreated } from '../../permission/test/permission.harness.js';
import { unknownBinary } from './samples.js';
import { eventually, startFileUnderTest, type FileUnderTest } from './file.harness.js';

describe('who may do what with a file', () => {
  let service: FileUnderTest;
  let owner: Principal;
  let stranger: Principal;
  let participant: Principal;
  let file: FileInfo;
  const conversation = randomUUID();

  beforeAll(async () => {
    service = await startFileUnderTest();
    [owner, stranger, participant] = [await service.person(), await service.person(), await service.person()];
    file = await service.uploadProcessed(owner, Buffer.from('the owner alone\n'), { name: 'private.txt' });
    for (const member of [owner, participant]) {
      await assignStanding(member, conversation);
    }
  });
  afterAll(() => service.stop());

  /** Makes the principal a member of the conversation, and waits until the file service knows it. */
  async function assignStanding(principal: Principal, conversationId: string): Promise<void> {
    const { items } = await service.permission.call(
      permissionRequests.listPermissionSets,
      {},
      service.world.admin,
    );
    const member = items.find((set) => set.name === 'conversation-member');
    await service.permission.call(
      permissionRequests.createAssignment,
      {
        actorId: principal.userId,
        permissionSetId: member?.id ?? '',
        resource: { type: 'conversation', id: conversationId },
      },
      service.world.admin,
    );
  }

  const failure = (promise: Promise<unknown>) =>
    parleyErrorOf(promise).then((error) => ({ code: error.code, message: error.message }));
  const notFound = { code: 'not_found', message: 'No such file' };

  const http = async (as: Principal, method: string, path: string) =>
    fetch(`${service.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${await service.token(as)}` },
    });

  it("answers for someone else's file exactly as for a file that does not exist", async () => {
    const missing = randomUUID();
    for (const fileId of [file.id, missing]) {
      await expect(failure(service.call(fileRequests.get, { fileId }, stranger))).resolves.toEqual(notFound);
      await expect(
        failure(service.call(fileRequests.createDownloadUrl, { fileId }, stranger)),
      ).resolves.toEqual(notFound);
      await expect(failure(service.call(fileRequests.delete, { fileId }, stranger))).resolves.toEqual(
        notFound,
      );
      for (const [method, path] of [
        ['GET', `/v1/files/${fileId}`],
        ['DELETE', `/v1/files/${fileId}`],
        ['POST', `/v1/files/${fileId}/download-url`],
      ] as const) {
        const response = await http(stranger, method, path);
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ error: { ...notFound, details: { fileId } } });
      }
    }
  });

  it('never shows a file to a user of another tenant', async () => {
    const elsewhere = await publishTenantCreated(service.permission, 'elsewhere');
    const outsider = await service.person(elsewhere.id);
    await expect(failure(service.call(fileRequests.get, { fileId: file.id }, outsider))).resolves.toEqual(
      notFound,
    );
  });

  it("lets the tenant's administrators read any file of the tenant", async () => {
    const { admin } = service.world;
    await expect(service.call(fileRequests.get, { fileId: file.id }, admin)).resolves.toMatchObject({
      id: file.id,
      ownerId: owner.userId,
    });
    const path = await service.downloadUrl(file.id, admin);
    const response = await fetch(`${service.baseUrl}${path}`);
    expect(await response.text()).toBe('the owner alone\n');
  });

  it('refuses uploads to someone who may not store files', async () => {
    const unknown = newPrincipal(service.world.tenant.id);
    const response = await service.upload(unknown, Buffer.from('x'));
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      error: { code: 'forbidden', details: { missing: ['file:file:create'] } },
    });
  });

  describe('attached to a conversation', () => {
    let attached: FileInfo;

    beforeAll(async () => {
      attached = await service.uploadProcessed(owner, Buffer.from('for the group\n'), {
        name: 'minutes.txt',
      });
    });

    it('is readable by the participants once its owner attached it, and by nobody else', async () => {
      await expect(
        failure(service.call(fileRequests.get, { fileId: attached.id }, participant)),
      ).resolves.toEqual(notFound);
      const request = { fileId: attached.id, conversationId: conversation, messageId: randomUUID() };
      const attachment = await eventually(
        () => service.call(fileRequests.attach, request, owner).catch(() => undefined),
        (answer) => answer !== undefined,
      );
      expect(attachment).toMatchObject({ ...request, attachedById: owner.userId });
      // Attaching again to the same message is the same attachment.
      await expect(service.call(fileRequests.attach, request, owner)).resolves.toEqual(attachment);

      const read = await eventually(
        () => service.call(fileRequests.get, { fileId: attached.id }, participant).catch(() => undefined),
        (answer) => answer !== undefined,
      );
      expect(read).toMatchObject({ id: attached.id, name: 'minutes.txt' });
      const response = await fetch(
        `${service.baseUrl}${await service.downloadUrl(attached.id, participant)}`,
      );
      expect(await response.text()).toBe('for the group\n');
      await expect(
        failure(service.call(fileRequests.get, { fileId: attached.id }, stranger)),
      ).resolves.toEqual(notFound);
    });

    it('may not be deleted by the participants', async () => {
      await expect(
        parleyErrorOf(service.call(fileRequests.delete, { fileId: attached.id }, participant)),
      ).resolves.toMatchObject({ code: 'forbidden', details: { missing: ['file:file:delete'] } });
    });

    it('is attached by its owner only', async () => {
      const request = { fileId: attached.id, conversationId: conversation, messageId: randomUUID() };
      await expect(
        parleyErrorOf(service.call(fileRequests.attach, request, participant)),
      ).resolves.toMatchObject({ code: 'forbidden', message: 'Only the owner of a file can attach it' });
    });

    it('is attached only to a conversation its owner may send to', async () => {
      const request = { fileId: attached.id, conversationId: randomUUID(), messageId: randomUUID() };
      await expect(parleyErrorOf(service.call(fileRequests.attach, request, owner))).resolves.toMatchObject({
        code: 'forbidden',
        details: { missing: ['conversation:message:send'] },
      });
    });

    it("cannot carry someone else's file the attacher cannot even see", async () => {
      const own = randomUUID();
      await assignStanding(stranger, own);
      const request = { fileId: attached.id, conversationId: own, messageId: randomUUID() };
      const refusal = await eventually(
        () => failure(service.call(fileRequests.attach, request, stranger)),
        (answer) => answer.code === 'not_found',
      );
      expect(refusal).toEqual(notFound);
    });

    it('is never a rejected file', async () => {
      const rejected = await service.uploadProcessed(owner, unknownBinary());
      expect(rejected.status).toBe('rejected');
      const request = { fileId: rejected.id, conversationId: conversation, messageId: randomUUID() };
      await expect(parleyErrorOf(service.call(fileRequests.attach, request, owner))).resolves.toMatchObject({
        code: 'conflict',
        details: { rejectionReason: 'type_not_allowed' },
      });
    });
  });

  describe('deleted', () => {
    it('is gone for everyone at once, its URLs included, and announced', async () => {
      const doomed = await service.uploadProcessed(owner, Buffer.from('short-lived\n'));
      const path = await service.downloadUrl(doomed.id, owner);
      const response = await http(owner, 'DELETE', `/v1/files/${doomed.id}`);
      expect(response.status).toBe(200);
      const deleted = (await response.json()) as { fileId: string; deletedAt: string };
      expect(deleted.fileId).toBe(doomed.id);
      for (const who of [owner, service.world.admin]) {
        await expect(failure(service.call(fileRequests.get, { fileId: doomed.id }, who))).resolves.toEqual(
          notFound,
        );
      }
      const download = await fetch(`${service.baseUrl}${path}`);
      expect(download.status).toBe(404);
      await download.arrayBuffer();
      await expect(failure(service.call(fileRequests.delete, { fileId: doomed.id }, owner))).resolves.toEqual(
        notFound,
      );
      const events = await eventually(
        () => service.events(),
        (all) => all.some((event) => event.payload['fileId'] === doomed.id),
      );
      expect(events).toContainEqual({
        subject: `file.v1.events.${owner.tenantId}.file.deleted`,
        payload: {
          fileId: doomed.id,
          ownerId: owner.userId,
          reason: 'deleted',
          deletedAt: deleted.deletedAt,
        },
      });
    });

    it("may be deleted by the tenant's administrators", async () => {
      const doomed = await service.uploadProcessed(owner, Buffer.from('moderated\n'));
      await expect(
        service.call(fileRequests.delete, { fileId: doomed.id }, service.world.admin),
      ).resolves.toMatchObject({ fileId: doomed.id });
    });
  });

  describe('download URLs', () => {
    it('stop working when they expire', async () => {
      const path = await service.downloadUrl(file.id, owner);
      service.clock.advance(5 * 60_000 + 1000);
      try {
        const response = await fetch(`${service.baseUrl}${path}`);
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({
          error: { code: 'forbidden', details: { reason: 'expired' } },
        });
      } finally {
        service.clock.reset();
      }
    });

    it('cannot be forged or altered', async () => {
      const path = await service.downloadUrl(file.id, owner);
      const token = path.split('/').pop() ?? '';
      const [header, , signature] = token.split('.');
      const otherFile = Buffer.from(
        JSON.stringify({ sub: randomUUID(), tid: owner.tenantId, dsp: 'inline' }),
      ).toString('base64url');
      const forged = await new SignJWT({ tid: owner.tenantId, dsp: 'attachment' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(file.id)
        .setIssuer('parley-file')
        .setAudience('parley-file-download')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('a-secret-that-is-not-the-service-secret-at-all'));
      for (const attempt of [`${header}.${otherFile}.${signature}`, forged, 'not-a-token']) {
        const response = await fetch(`${service.baseUrl}/v1/downloads/${attempt}`);
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ error: notFound });
      }
    });

    it('are only given for accepted files, and only serve accepted files', async () => {
      const pending = await service.uploadProcessed(owner, Buffer.from('soon\n'));
      const path = await service.downloadUrl(pending.id, owner);
      await service.sql("UPDATE file.files SET status = 'processing', processed_at = NULL WHERE id = $1", [
        pending.id,
      ]);
      await expect(
        parleyErrorOf(service.call(fileRequests.createDownloadUrl, { fileId: pending.id }, owner)),
      ).resolves.toMatchObject({ code: 'conflict', details: { status: 'processing' } });
      const response = await fetch(`${service.baseUrl}${path}`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    });
  });
});
