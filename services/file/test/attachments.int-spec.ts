import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import {
  conversationEvents,
  eventFilter,
  eventStreamName,
  fileRequests,
  permissionRequests,
  type FileInfo,
  type Message,
  type Principal,
} from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import { EventPublisher, provisionServiceEventStream } from '@parley/nats';
import { parleyErrorOf } from '@parley/testing';
import { publishTenantCreated } from '../../permission/test/permission.harness.js';
import { messageCreatedDurable } from '../src/attachments/conversation-events.consumer.js';
import { unknownBinary } from './samples.js';
import { eventually, startFileUnderTest, type FileUnderTest } from './file.harness.js';

/** A log line of the service, as far as these tests read it. */
interface LogLine {
  level: string;
  msg: string;
  fileId?: string;
  reason?: string;
}

interface AttachmentRow extends Record<string, unknown> {
  id: string;
  tenant_id: string;
  conversation_id: string;
  message_id: string;
  attached_by_id: string;
}

describe('attachments recorded from published messages', () => {
  let service: FileUnderTest;
  let jsm: JetStreamManager;
  let conversation: EventPublisher;
  let streamAtStart: boolean;
  let owner: Principal;
  let participant: Principal;
  let stranger: Principal;
  const conversationId = randomUUID();
  const lines: LogLine[] = [];

  beforeAll(async () => {
    // The service runs in this process: its log lines come here.
    configureLogging({
      service: 'file',
      destination: { write: (line: string) => lines.push(JSON.parse(line) as LogLine) },
    });
    // The file service starts before the conversation service has created its stream.
    service = await startFileUnderTest(
      'local_filesystem',
      { LOG_LEVEL: 'info' },
      { followRetry: { initialMs: 50, maxMs: 200 } },
    );
    jsm = await jetstreamManager(service.nats);
    streamAtStart = await jsm.streams
      .info(service.namespace.stream(eventStreamName('conversation')))
      .then(() => true)
      .catch(() => false);
    await provisionServiceEventStream(jsm, service.namespace, 'conversation');
    conversation = new EventPublisher(service.nats, service.namespace);
    [owner, participant, stranger] = [await service.person(), await service.person(), await service.person()];
    await assignMember(participant, conversationId);
  });
  afterAll(() => service.stop());

  /** Makes the principal a member of the conversation, so that it may read its messages. */
  async function assignMember(principal: Principal, id: string): Promise<void> {
    const { items } = await service.permission.call(
      permissionRequests.listPermissionSets,
      {},
      service.world.admin,
    );
    await service.permission.call(
      permissionRequests.createAssignment,
      {
        actorId: principal.userId,
        permissionSetId: items.find((set) => set.name === 'conversation-member')?.id ?? '',
        resource: { type: 'conversation', id },
      },
      service.world.admin,
    );
  }

  /** A published message as the conversation service announces it. */
  function messageFrom(sender: Principal, attachments: string[]): Message {
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
      conversationId,
      sequence: 1,
      senderId: sender.userId,
      clientMessageId: randomUUID(),
      body: 'see attached',
      replyToId: null,
      mentions: [],
      attachments,
      status: 'published',
      rejectionReason: null,
      editedAt: null,
      deletedAt: null,
      createdAt: now,
      publishedAt: now,
      revision: 0,
    };
  }

  /** Publishes message.created under the tenant's subject, and waits until the file service acked it. */
  async function publish(message: Message, tenantId = service.world.tenant.id): Promise<void> {
    await conversation.publishEvent(conversationEvents.messageCreated, tenantId, { message }, randomUUID());
    await handled();
  }

  /** Waits until the consumer acknowledged every message of the stream. */
  async function handled(): Promise<void> {
    const stream = service.namespace.stream(eventStreamName('conversation'));
    const { state } = await jsm.streams.info(stream);
    const info = await eventually(
      () => jsm.consumers.info(stream, messageCreatedDurable),
      (consumer) => consumer.ack_floor.stream_seq >= state.last_seq && consumer.num_ack_pending === 0,
      20_000,
    );
    expect(info.ack_floor.stream_seq).toBeGreaterThanOrEqual(state.last_seq);
  }

  const attachmentsOf = (fileId: string) =>
    service.sql<AttachmentRow>(
      `SELECT id, tenant_id, conversation_id, message_id, attached_by_id
       FROM file.attachments WHERE file_id = $1 ORDER BY created_at`,
      [fileId],
    );

  /** What the service logged about not recording the file: level and reason. */
  const skipped = (fileId: string) =>
    lines
      .filter((line) => line.msg === 'Attachment not recorded' && line.fileId === fileId)
      .map(({ level, reason }) => ({ level, reason }));

  const readBy = (fileId: string, as: Principal) =>
    eventually(
      () => service.call(fileRequests.get, { fileId }, as).catch(() => undefined),
      (answer) => answer !== undefined,
    );

  const notFoundFor = async (fileId: string, as: Principal) =>
    expect(parleyErrorOf(service.call(fileRequests.get, { fileId }, as))).resolves.toMatchObject({
      code: 'not_found',
      message: 'No such file',
    });

  it('follows the conversation stream once it exists, though it did not when the service started', async () => {
    expect(streamAtStart).toBe(false);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'The conversation event stream does not exist yet' }),
    );
    const consumer = await eventually(
      () =>
        jsm.consumers
          .info(service.namespace.stream(eventStreamName('conversation')), messageCreatedDurable)
          .catch(() => undefined),
      (info) => info !== undefined,
      10_000,
    );
    expect(consumer?.config.filter_subject).toBe(
      service.namespace.subject(eventFilter('conversation', conversationEvents.messageCreated.type)),
    );
    // A message without attachments is handled and records nothing.
    await publish(messageFrom(owner, []));
    await expect(service.sql('SELECT id FROM file.attachments')).resolves.toEqual([]);
  });

  it('lets the participants read and download a file its owner attached to a message', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('for the group\n'), {
      name: 'minutes.txt',
    });
    await notFoundFor(file.id, participant);
    const message = messageFrom(owner, [file.id]);
    await publish(message);

    expect(await attachmentsOf(file.id)).toEqual([
      {
        id: expect.any(String),
        tenant_id: owner.tenantId,
        conversation_id: conversationId,
        message_id: message.id,
        attached_by_id: owner.userId,
      },
    ]);
    await expect(readBy(file.id, participant)).resolves.toMatchObject({ id: file.id, name: 'minutes.txt' });
    const download = await fetch(`${service.baseUrl}${await service.downloadUrl(file.id, participant)}`);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe('for the group\n');
    await notFoundFor(file.id, stranger);
  });

  it("does not attach someone else's file that a sender names", async () => {
    const secret = await service.uploadProcessed(owner, Buffer.from('mine alone\n'), { name: 'secret.txt' });
    const own = await service.uploadProcessed(stranger, Buffer.from('my own\n'), { name: 'own.txt' });
    await publish(messageFrom(stranger, [secret.id, own.id]));

    await expect(attachmentsOf(secret.id)).resolves.toEqual([]);
    expect(skipped(secret.id)).toEqual([{ level: 'info', reason: 'not_the_senders' }]);
    await notFoundFor(secret.id, participant);
    await notFoundFor(secret.id, stranger);
    // The sender's own file in the same message is attached.
    await expect(attachmentsOf(own.id)).resolves.toMatchObject([{ attached_by_id: stranger.userId }]);
    expect(skipped(own.id)).toEqual([]);
    await expect(readBy(own.id, participant)).resolves.toMatchObject({ id: own.id });
  });

  it('does not attach a rejected file', async () => {
    const rejected = await service.uploadProcessed(owner, unknownBinary());
    expect(rejected.status).toBe('rejected');
    await publish(messageFrom(owner, [rejected.id]));
    await expect(attachmentsOf(rejected.id)).resolves.toEqual([]);
    expect(skipped(rejected.id)).toEqual([{ level: 'info', reason: 'rejected' }]);
    await notFoundFor(rejected.id, participant);
  });

  it('does not attach a deleted file', async () => {
    const deleted = await service.uploadProcessed(owner, Buffer.from('gone\n'));
    await service.call(fileRequests.delete, { fileId: deleted.id }, owner);
    await publish(messageFrom(owner, [deleted.id]));
    await expect(attachmentsOf(deleted.id)).resolves.toEqual([]);
    expect(skipped(deleted.id)).toEqual([{ level: 'info', reason: 'deleted' }]);
  });

  it('changes nothing when the same message is delivered again', async () => {
    const file = await service.uploadProcessed(owner, Buffer.from('once\n'));
    // The same file twice in one message is one attachment.
    const message = messageFrom(owner, [file.id, file.id]);
    await publish(message);
    const first = await attachmentsOf(file.id);
    expect(first).toHaveLength(1);

    // Published again under another message id (as after the stream's duplicate window), so the
    // stream keeps both and the consumer handles both.
    await publish(message);
    await expect(attachmentsOf(file.id)).resolves.toEqual(first);
    await expect(
      service.sql('SELECT count(*)::int AS attachments FROM file.attachments WHERE message_id = $1', [
        message.id,
      ]),
    ).resolves.toEqual([{ attachments: 1 }]);
  });

  it('ignores an unknown file id, and a file of another tenant', async () => {
    const before = await service.sql('SELECT id FROM file.attachments ORDER BY id');
    const unknown = randomUUID();
    await publish(messageFrom(owner, [unknown]));
    await expect(service.sql('SELECT id FROM file.attachments ORDER BY id')).resolves.toEqual(before);
    expect(skipped(unknown)).toEqual([{ level: 'info', reason: 'unknown_file' }]);

    // The same sender id and file, announced under another tenant's subject: not that tenant's file.
    const file: FileInfo = await service.uploadProcessed(owner, Buffer.from('this tenant only\n'));
    const elsewhere = await publishTenantCreated(service.permission, 'elsewhere');
    await publish(messageFrom(owner, [file.id]), elsewhere.id);
    await expect(attachmentsOf(file.id)).resolves.toEqual([]);
    expect(skipped(file.id)).toEqual([{ level: 'info', reason: 'unknown_file' }]);
  });
});
