import { randomUUID } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { conversationEvents, eventFilter, eventStreamName, type Message } from '@parley/contracts';
import { configureLogging } from '@parley/logging';
import type { ConsumeOptions, ConsumerHandle, EventConsumer } from '@parley/nats';
import { eventually } from '@parley/testing';
import type { FollowRetry } from '../file.options.js';
import { ConversationEventsConsumer, messageCreatedDurable } from './conversation-events.consumer.js';
import type { MessageAttachments } from './message-attachments.service.js';

/** What one call of `consume` does. */
type Outcome = () => Promise<ConsumerHandle>;

/** Stands in for EventConsumer: each call takes the next outcome; without one, it never settles. */
class ScriptedConsumer {
  readonly calls: ConsumeOptions[] = [];

  constructor(private readonly outcomes: Outcome[]) {}

  consume(options: ConsumeOptions): Promise<ConsumerHandle> {
    this.calls.push(options);
    return this.outcomes.shift()?.() ?? new Promise<ConsumerHandle>(() => undefined);
  }
}

class RecordingAttachments {
  readonly recorded: Array<{ tenantId: string; message: Message }> = [];

  async record(tenantId: string, message: Message): Promise<void> {
    this.recorded.push({ tenantId, message });
  }
}

interface FakeHandle extends ConsumerHandle {
  stops: number;
}

function fakeHandle(): FakeHandle {
  const handle: FakeHandle = {
    counters: { acked: 0, naked: 0, deadLettered: 0, skipped: 0 },
    done: Promise.resolve(),
    stops: 0,
    stop: async () => {
      handle.stops += 1;
    },
  };
  return handle;
}

const streamMissing = new JetStreamApiError({
  code: 404,
  err_code: JetStreamApiCodes.StreamNotFound,
  description: 'stream not found',
});

function follower(
  consumer: ScriptedConsumer,
  retry: FollowRetry = { initialMs: 5, maxMs: 20 },
  attachments = new RecordingAttachments(),
): ConversationEventsConsumer {
  return new ConversationEventsConsumer(
    consumer as unknown as EventConsumer,
    attachments as unknown as MessageAttachments,
    retry,
  );
}

const lines: Array<{ level: string; msg: string; attempt?: number; retryInMs?: number }> = [];

beforeAll(() => {
  configureLogging({
    service: 'file-spec',
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]) },
  });
});

beforeEach(() => {
  lines.length = 0;
});

describe('ConversationEventsConsumer', () => {
  it("follows message.created of conversation's stream with its own durable consumer", async () => {
    const handle = fakeHandle();
    const consumer = new ScriptedConsumer([async () => handle]);
    const events = follower(consumer);
    events.start();
    await eventually(
      async () => consumer.calls.length,
      (calls) => calls === 1,
    );
    expect(consumer.calls[0]).toMatchObject({
      stream: eventStreamName('conversation'),
      durable: messageCreatedDurable,
      filterSubjects: [eventFilter('conversation', conversationEvents.messageCreated.type)],
      contract: conversationEvents.messageCreated,
      consumerService: 'file',
    });
    await events.beforeApplicationShutdown();
    expect(handle.stops).toBe(1);
  });

  it('tries again, with growing delays, until the stream exists', async () => {
    const handle = fakeHandle();
    const attempts: number[] = [];
    const failing: Outcome = async () => {
      attempts.push(Date.now());
      throw streamMissing;
    };
    const consumer = new ScriptedConsumer([failing, failing, failing, async () => handle]);
    const events = follower(consumer, { initialMs: 40, maxMs: 80 });
    events.start();
    await eventually(
      async () => consumer.calls.length,
      (calls) => calls === 4,
    );
    expect(consumer.calls).toHaveLength(4);
    const [first = 0, second = 0, third = 0] = attempts;
    // 40 ms, then 80 ms (doubled), then 80 ms again (the longest delay).
    expect(second - first).toBeGreaterThanOrEqual(35);
    expect(third - second).toBeGreaterThanOrEqual(75);
    const waits = lines
      .filter((line) => line.msg === 'The conversation event stream does not exist yet')
      .map(({ level, attempt, retryInMs }) => ({ level, attempt, retryInMs }));
    expect(waits).toEqual([
      { level: 'info', attempt: 1, retryInMs: 40 },
      { level: 'info', attempt: 2, retryInMs: 80 },
      { level: 'info', attempt: 3, retryInMs: 80 },
    ]);
    await events.beforeApplicationShutdown();
    expect(handle.stops).toBe(1);
  });

  it('tries again after any other failure to start', async () => {
    const handle = fakeHandle();
    const consumer = new ScriptedConsumer([
      () => Promise.reject(new Error('NATS is not reachable')),
      async () => handle,
    ]);
    const events = follower(consumer);
    events.start();
    await eventually(
      async () => consumer.calls.length,
      (calls) => calls === 2,
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: 'Could not follow published messages', retryInMs: 5 }),
    );
    await events.beforeApplicationShutdown();
    expect(handle.stops).toBe(1);
  });

  it('stops waiting at shutdown, without trying again', async () => {
    const consumer = new ScriptedConsumer([() => Promise.reject(streamMissing)]);
    const events = follower(consumer, { initialMs: 60_000, maxMs: 60_000 });
    events.start();
    await eventually(
      async () => consumer.calls.length,
      (calls) => calls === 1,
    );
    const started = Date.now();
    await events.beforeApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(consumer.calls).toHaveLength(1);
  });

  it('stops a consumer that started while the service was shutting down', async () => {
    const handle = fakeHandle();
    let started: (handle: ConsumerHandle) => void = () => undefined;
    const consumer = new ScriptedConsumer([
      () =>
        new Promise<ConsumerHandle>((resolve) => {
          started = resolve;
        }),
    ]);
    const events = follower(consumer);
    events.start();
    await eventually(
      async () => consumer.calls.length,
      (calls) => calls === 1,
    );
    const shutdown = events.beforeApplicationShutdown();
    started(handle);
    await shutdown;
    expect(handle.stops).toBe(1);
    expect(consumer.calls).toHaveLength(1);
  });

  it('starts one follower however often it is started, and shuts down when never started', async () => {
    await expect(follower(new ScriptedConsumer([])).beforeApplicationShutdown()).resolves.toBeUndefined();
    const handle = fakeHandle();
    const consumer = new ScriptedConsumer([async () => handle]);
    const events = follower(consumer);
    events.start();
    events.start();
    await events.beforeApplicationShutdown();
    expect(consumer.calls).toHaveLength(1);
  });

  it('records the attachments of the message under the tenant of the event', async () => {
    const attachments = new RecordingAttachments();
    const events = follower(new ScriptedConsumer([]), undefined, attachments);
    const now = new Date().toISOString();
    const message: Message = {
      id: randomUUID(),
      conversationId: randomUUID(),
      sequence: 3,
      senderId: randomUUID(),
      clientMessageId: 'c-1',
      body: 'hello',
      replyToId: null,
      mentions: [],
      attachments: [randomUUID()],
      status: 'published',
      rejectionReason: null,
      editedAt: null,
      deletedAt: null,
      createdAt: now,
      publishedAt: now,
      revision: 0,
    };
    const tenantId = randomUUID();
    await events.handle({ tenantId, payload: { message } });
    expect(attachments.recorded).toEqual([{ tenantId, message }]);
  });
});
