import { jest } from '@jest/globals';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  deadLetterStream,
  deadLetterSubject,
  defineEvent,
  eventFilter,
  eventStreamName,
  eventStreamSubjects,
  headerNames,
  ParleyError,
} from '@parley/contracts';
import { configureLogging, requestContext } from '@parley/logging';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { connectNats } from '../src/connection.js';
import {
  EventConsumer,
  type ConsumedEvent,
  type ConsumeOptions,
  type ConsumerHandle,
  type DeadLetterRecord,
} from '../src/event.consumer.js';
import { EventPublisher } from '../src/event.publisher.js';
import { KvIdempotencyStore, type IdempotencyStore } from '../src/idempotency.store.js';
import {
  deleteNamespaceStreams,
  provisionConsumer,
  provisionDeadLetterStream,
  provisionServiceEventStream,
  provisionStream,
} from '../src/jetstream.provisioning.js';
import { Namespace } from '../src/namespace.js';

const userCreated = defineEvent({
  service: 'identity',
  entity: 'user',
  event: 'created',
  summary: 'A user was created (test)',
  payload: z.object({ userId: z.uuid(), name: z.string() }),
});
const userRenamed = defineEvent({
  service: 'identity',
  entity: 'user',
  event: 'renamed',
  summary: 'A user was renamed (test)',
  payload: z.object({ userId: z.uuid(), name: z.string() }),
});

let connection: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  // The outcomes are asserted through counters and records; the log lines would only be noise.
  configureLogging({ service: 'nats-test', level: 'silent' });
  connection = await connectNats({ url: natsUrl(), name: 'nats-jetstream-test' });
  jsm = await jetstreamManager(connection);
});

afterAll(async () => {
  await connection.drain();
});

/** Everything one test needs in a namespace of its own, removed afterwards. */
async function setUp({ deadLetters = true }: { deadLetters?: boolean } = {}): Promise<{
  ns: Namespace;
  publisher: EventPublisher;
  consumers: EventConsumer;
}> {
  const ns = new Namespace(uniqueNamespace());
  created.push(ns);
  await provisionServiceEventStream(jsm, ns, 'identity', { maxAgeMs: 60_000, duplicateWindowMs: 30_000 });
  if (deadLetters) {
    await provisionDeadLetterStream(jsm, ns, { maxAgeMs: 60_000, duplicateWindowMs: 30_000 });
  }
  return { ns, publisher: new EventPublisher(connection, ns), consumers: new EventConsumer(connection, ns) };
}
const created: Namespace[] = [];
const handles: ConsumerHandle[] = [];

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.stop()));
  for (const ns of created.splice(0)) {
    await deleteNamespaceStreams(jsm, ns);
  }
});

async function start(
  consumers: EventConsumer,
  options: Omit<ConsumeOptions, 'consumerService'>,
): Promise<ConsumerHandle> {
  const handle = await consumers.consume({ consumerService: 'notification', ...options });
  handles.push(handle);
  return handle;
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function deadLetters(ns: Namespace, durable: string): Promise<DeadLetterRecord[]> {
  const stream = ns.stream(deadLetterStream.name);
  const info = await jsm.streams.info(stream);
  const records: DeadLetterRecord[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    if (message && message.subject === ns.subject(deadLetterSubject('notification', durable))) {
      records.push(message.json<DeadLetterRecord>());
    }
  }
  return records;
}

const tenantId = randomUUID();

describe('stream and consumer provisioning', () => {
  it("deletes a namespace's streams, buckets and object stores, nothing else, and never the root's", async () => {
    const { ns } = await setUp();
    const other = new Namespace(uniqueNamespace());
    created.push(other);
    await provisionServiceEventStream(jsm, other, 'identity', {
      maxAgeMs: 60_000,
      duplicateWindowMs: 30_000,
    });
    await new Kvm(connection).create(ns.stream('cleanup'), { history: 1 });
    const deleted = await deleteNamespaceStreams(jsm, ns);
    expect(deleted.sort()).toEqual(
      [
        ns.stream(deadLetterStream.name),
        ns.stream(eventStreamName('identity')),
        `KV_${ns.stream('cleanup')}`,
      ].sort(),
    );
    expect(await deleteNamespaceStreams(jsm, ns)).toEqual([]);
    expect((await jsm.streams.info(other.stream(eventStreamName('identity')))).config.name).toBe(
      other.stream(eventStreamName('identity')),
    );
    await expect(deleteNamespaceStreams(jsm, Namespace.root)).rejects.toMatchObject({ code: 'internal' });
  });

  it('creates a namespaced file stream once and leaves it alone after', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    const spec = { maxAgeMs: 60_000, duplicateWindowMs: 10_000 };
    await expect(provisionServiceEventStream(jsm, ns, 'identity', spec)).resolves.toBe('created');
    await expect(provisionServiceEventStream(jsm, ns, 'identity', spec)).resolves.toBe('unchanged');

    const info = await jsm.streams.info(ns.stream('identity_events'));
    expect(info.config.subjects).toEqual([ns.subject('identity.v1.events.>')]);
    expect(info.config.storage).toBe('file');
    expect(info.config.max_age).toBe(nanos(60_000));
    expect(info.config.duplicate_window).toBe(nanos(10_000));

    await expect(
      provisionServiceEventStream(jsm, ns, 'identity', { ...spec, maxAgeMs: 120_000 }),
    ).resolves.toBe('updated');
    expect((await jsm.streams.info(ns.stream('identity_events'))).config.max_age).toBe(nanos(120_000));
  });

  it('provisions the dead-letter stream on the contract subjects', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    await expect(provisionDeadLetterStream(jsm, ns)).resolves.toBe('created');
    const info = await jsm.streams.info(ns.stream('dead_letters'));
    expect(info.config.subjects).toEqual([ns.subject('*.v1.dead-letters.>')]);
    expect(info.config.max_age).toBe(nanos(30 * 24 * 60 * 60 * 1000));
  });

  it('survives two instances provisioning the same stream at once', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    const outcomes = await Promise.all([
      provisionServiceEventStream(jsm, ns, 'identity'),
      provisionServiceEventStream(jsm, ns, 'identity'),
      provisionServiceEventStream(jsm, ns, 'identity'),
    ]);
    // The server accepts an identical create as a no-op, so each may report 'created'; none fails.
    expect(outcomes.every((outcome) => outcome === 'created' || outcome === 'unchanged')).toBe(true);
    await expect(provisionServiceEventStream(jsm, ns, 'identity')).resolves.toBe('unchanged');
  });

  it('refuses a bad spec and a stream it cannot bring to the spec', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    await expect(
      provisionStream(jsm, ns, { name: 'x', subjects: ['a.>'], maxAgeMs: 1000, duplicateWindowMs: 5000 }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(provisionStream(jsm, ns, { name: 'bad.name', subjects: ['a.>'] })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await jsm.streams.add({
      name: ns.stream('memory'),
      subjects: [ns.subject('memory.>')],
      storage: 'memory',
    });
    try {
      await expect(
        provisionStream(jsm, ns, { name: 'memory', subjects: ['memory.>'] }),
      ).rejects.toMatchObject({
        code: 'conflict',
      });
    } finally {
      await jsm.streams.delete(ns.stream('memory'));
    }
  });

  it('creates a durable explicit-ack pull consumer once and updates it when the spec changes', async () => {
    const { ns } = await setUp();
    const spec = {
      stream: eventStreamName('identity'),
      durable: 'mailer',
      filterSubjects: [eventFilter('identity', 'user.created')],
      ackWaitMs: 5000,
    };
    await expect(provisionConsumer(jsm, ns, spec)).resolves.toBe('created');
    await expect(provisionConsumer(jsm, ns, spec)).resolves.toBe('unchanged');
    const info = await jsm.consumers.info(ns.stream('identity_events'), 'mailer');
    expect(info.config).toMatchObject({
      durable_name: 'mailer',
      ack_policy: 'explicit',
      ack_wait: nanos(5000),
      filter_subject: ns.subject('identity.v1.events.*.user.created'),
    });
    expect(info.config.deliver_subject).toBeUndefined();

    await expect(provisionConsumer(jsm, ns, { ...spec, ackWaitMs: 7000 })).resolves.toBe('updated');
    expect((await jsm.consumers.info(ns.stream('identity_events'), 'mailer')).config.ack_wait).toBe(
      nanos(7000),
    );

    await expect(
      provisionConsumer(jsm, ns, { ...spec, filterSubjects: [eventFilter('identity', 'user.renamed')] }),
    ).resolves.toBe('updated');
    expect((await jsm.consumers.info(ns.stream('identity_events'), 'mailer')).config.filter_subject).toBe(
      ns.subject('identity.v1.events.*.user.renamed'),
    );
    await expect(provisionConsumer(jsm, ns, { ...spec, durable: 'a.b' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('filters on several subjects where the server supports it (NATS 2.10+), and says so where not', async () => {
    const { ns } = await setUp();
    const provisioning = provisionConsumer(jsm, ns, {
      stream: eventStreamName('identity'),
      durable: 'multi',
      filterSubjects: [eventFilter('identity', 'user.created'), eventFilter('identity', 'user.renamed')],
    });
    const [major = 0, minor = 0] = (connection.info?.version ?? '0.0').split('.').map(Number);
    if (major > 2 || (major === 2 && minor >= 10)) {
      await expect(provisioning).resolves.toBe('created');
      const info = await jsm.consumers.info(ns.stream('identity_events'), 'multi');
      expect(info.config.filter_subjects).toHaveLength(2);
    } else {
      await expect(provisioning).rejects.toThrow(/filter_subjects.*requires server 2\.10/);
    }
  });

  it('refuses to take over a push consumer of the same name', async () => {
    const { ns } = await setUp();
    await jsm.consumers.add(ns.stream('identity_events'), {
      durable_name: 'pushed',
      ack_policy: 'explicit',
      deliver_subject: ns.subject('somewhere'),
    });
    await expect(
      provisionConsumer(jsm, ns, {
        stream: eventStreamName('identity'),
        durable: 'pushed',
        filterSubjects: [eventFilter('identity', 'user.created')],
      }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('EventPublisher', () => {
  it('publishes to the namespaced subject with message id, tenant, type and context headers', async () => {
    const { ns, publisher } = await setUp();
    const payload = { userId: randomUUID(), name: 'Ada' };
    await requestContext.run({ correlationId: 'corr-1', actorId: 'actor-1', tenantId: 'ignored' }, () =>
      publisher.publishEvent(userCreated, tenantId, payload, 'evt-1'),
    );
    const stored = await jsm.streams.getMessage(ns.stream('identity_events'), { seq: 1 });
    expect(stored?.subject).toBe(ns.subject(`identity.v1.events.${tenantId}.user.created`));
    expect(stored?.json()).toEqual(payload);
    expect(stored?.header.get(headerNames.messageId)).toBe('evt-1');
    expect(stored?.header.get(headerNames.correlationId)).toBe('corr-1');
    expect(stored?.header.get(headerNames.actorId)).toBe('actor-1');
    expect(stored?.header.get(headerNames.tenantId)).toBe(tenantId);
    expect(stored?.header.get(headerNames.eventType)).toBe('user.created');
  });

  it('stores a message once however often it is published with the same id', async () => {
    const { ns, publisher } = await setUp();
    const subject = userCreated.subject(tenantId);
    const payload = { userId: randomUUID(), name: 'Ada' };
    await publisher.publish(subject, payload, { msgId: 'same' });
    await publisher.publish(subject, payload, { msgId: 'same' });
    await publisher.publish(subject, payload, {
      msgId: 'other',
      headers: { [headerNames.correlationId]: 'given' },
    });
    const info = await jsm.streams.info(ns.stream('identity_events'));
    expect(info.state.messages).toBe(2);
    const second = await jsm.streams.getMessage(ns.stream('identity_events'), { seq: 2 });
    expect(second?.header.get(headerNames.correlationId)).toBe('given');
  });

  it('rejects a payload outside its contract, a bad tenant and a missing id before publishing', async () => {
    const { ns, publisher } = await setUp();
    await expect(
      publisher.publishEvent(userCreated, tenantId, { userId: 'nope', name: 'x' }, 'evt'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      publisher.publishEvent(userCreated, 'a.b', { userId: randomUUID(), name: 'x' }, 'evt'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(publisher.publish(userCreated.subject(tenantId), {}, { msgId: '' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      publisher.publish(userCreated.subject(tenantId), { big: 1n }, { msgId: 'bigint' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await jsm.streams.info(ns.stream('identity_events'))).state.messages).toBe(0);
  });

  it('stores an absent payload as JSON null', async () => {
    const { ns, publisher } = await setUp();
    await publisher.publish(userCreated.subject(tenantId), undefined, { msgId: 'nothing' });
    const stored = await jsm.streams.getMessage(ns.stream('identity_events'), { seq: 1 });
    expect(stored?.string()).toBe('null');
  });

  it('throws unavailable when no stream takes the subject', async () => {
    const publisher = new EventPublisher(connection, new Namespace(uniqueNamespace()));
    const failure = publisher.publish(userCreated.subject(tenantId), {}, { msgId: 'x', timeoutMs: 500 });
    await expect(failure).rejects.toBeInstanceOf(ParleyError);
    await expect(failure).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('EventConsumer', () => {
  function options(
    handler: (event: ConsumedEvent) => Promise<void>,
    extra: Partial<ConsumeOptions> = {},
  ): Omit<ConsumeOptions, 'consumerService'> {
    return {
      stream: eventStreamName('identity'),
      durable: 'test-consumer',
      filterSubjects: [eventFilter('identity', '*.*')],
      contract: [userCreated, userRenamed],
      backoff: { initialMs: 50, maxMs: 200 },
      ackWaitMs: 2000,
      handler,
      ...extra,
    };
  }

  it('hands a valid event to the handler inside its request context and acks it', async () => {
    const { ns, publisher, consumers } = await setUp();
    const seen: Array<{ event: ConsumedEvent; correlationId: string | undefined }> = [];
    const outcomes: string[] = [];
    const handle = await start(
      consumers,
      options(
        async (event) => {
          seen.push({ event, correlationId: requestContext.get()?.correlationId });
        },
        { onOutcome: (outcome) => outcomes.push(outcome) },
      ),
    );
    const payload = { userId: randomUUID(), name: 'Ada' };
    await requestContext.run({ correlationId: 'corr-consume' }, () =>
      publisher.publishEvent(userCreated, tenantId, payload, 'evt-ok'),
    );
    await eventually(() => handle.counters.acked === 1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.correlationId).toBe('corr-consume');
    expect(seen[0]?.event).toMatchObject({
      subject: `identity.v1.events.${tenantId}.user.created`,
      tenantId,
      type: 'user.created',
      payload,
      msgId: 'evt-ok',
      deliveryCount: 1,
    });
    expect(seen[0]?.event.headers[headerNames.correlationId]).toBe('corr-consume');
    expect(outcomes).toEqual(['acked']);
    await handle.stop();
    const info = await jsm.consumers.info(ns.stream('identity_events'), 'test-consumer');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('naks a failing message with growing delays and acks it once the handler succeeds', async () => {
    const { publisher, consumers } = await setUp();
    const attempts: Array<{ at: number; deliveryCount: number }> = [];
    const handle = await start(
      consumers,
      options(
        async (event) => {
          attempts.push({ at: Date.now(), deliveryCount: event.deliveryCount });
          if (event.deliveryCount < 3) {
            throw new Error('database down');
          }
        },
        { backoff: { initialMs: 150, maxMs: 1000 } },
      ),
    );
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Ada' }, 'evt-retry');
    await eventually(() => handle.counters.acked === 1);
    expect(handle.counters).toEqual({ acked: 1, naked: 2, deadLettered: 0, skipped: 0 });
    expect(attempts.map((attempt) => attempt.deliveryCount)).toEqual([1, 2, 3]);
    const [first, second, third] = attempts;
    // Delays of 150 ms then 300 ms (initialMs * 2^(deliveryCount - 1)), with some slack for scheduling.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(140);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(290);
  });

  it('records poison messages as dead letters and terminates them without calling the handler', async () => {
    const { ns, publisher, consumers } = await setUp();
    const handler = jest.fn(async () => undefined);
    // The whole stream, so that a subject that is no event subject reaches the consumer too.
    const handle = await start(
      consumers,
      options(handler, { filterSubjects: eventStreamSubjects('identity') }),
    );
    const js = jetstream(connection);
    // Not JSON at all.
    await js.publish(ns.subject(userCreated.subject(tenantId)), new Uint8Array([0xff, 0x00, 0x7b]), {
      msgID: 'poison-bytes',
    });
    // JSON, but not the contract's payload.
    await publisher.publish(
      userCreated.subject(tenantId),
      { userId: 'not-a-uuid' },
      { msgId: 'poison-schema' },
    );
    // An event type no contract describes.
    await publisher.publish(
      eventFilter('identity', 'user.deleted', tenantId),
      { userId: randomUUID() },
      { msgId: 'poison-type' },
    );
    // Inside the stream, but not an event subject at all.
    await publisher.publish('identity.v1.events.odd', {}, { msgId: 'poison-subject' });
    await eventually(() => handle.counters.deadLettered === 4);
    expect(handler).not.toHaveBeenCalled();

    const records = await deadLetters(ns, 'test-consumer');
    expect(records).toHaveLength(4);
    expect(records.find((record) => record.subject === 'identity.v1.events.odd')?.reason).toMatch(
      /No event contract/,
    );
    const bytes = records.find((record) => record.headers[headerNames.messageId] === 'poison-bytes');
    expect(bytes).toMatchObject({
      service: 'notification',
      consumer: 'test-consumer',
      stream: 'identity_events',
      subject: `identity.v1.events.${tenantId}.user.created`,
      deliveryCount: 1,
      reason: 'The body is not valid JSON',
      payloadBase64: Buffer.from([0xff, 0x00, 0x7b]).toString('base64'),
    });
    expect(bytes?.payload).toBeUndefined();
    const schema = records.find((record) => record.headers[headerNames.messageId] === 'poison-schema');
    expect(schema?.reason).toMatch(/^Payload does not match user\.created: userId: /);
    expect(schema?.payload).toEqual({ userId: 'not-a-uuid' });
    const type = records.find((record) => record.headers[headerNames.messageId] === 'poison-type');
    expect(type?.reason).toMatch(/No event contract/);

    await handle.stop();
    // Terminated: nothing is pending or waiting for an ack.
    const info = await jsm.consumers.info(ns.stream('identity_events'), 'test-consumer');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('gives up after maxDeliver failures: dead letter with the last error, then terminate', async () => {
    const { ns, publisher, consumers } = await setUp();
    const handler = jest.fn(async () => {
      throw new Error('still broken');
    });
    const handle = await start(consumers, options(handler, { maxDeliver: 3 }));
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Ada' }, 'evt-dead');
    await eventually(() => handle.counters.deadLettered === 1);
    expect(handler).toHaveBeenCalledTimes(3);
    expect(handle.counters).toEqual({ acked: 0, naked: 2, deadLettered: 1, skipped: 0 });
    const [record] = await deadLetters(ns, 'test-consumer');
    expect(record).toMatchObject({ deliveryCount: 3, reason: 'Failed 3 times; last error: still broken' });
    // No fourth delivery.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(handler).toHaveBeenCalledTimes(3);
  });

  it('skips a message its idempotency store has seen, and remembers the ones it handled', async () => {
    const { ns, publisher, consumers } = await setUp();
    const store = await KvIdempotencyStore.open(connection, ns, { ttlMs: 60_000 });
    await store.remember('test-consumer', 'evt-old');
    const handler = jest.fn(async () => undefined);
    const handle = await start(consumers, options(handler, { idempotency: store }));
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Ada' }, 'evt-old');
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Bob' }, 'evt-new');
    await eventually(() => handle.counters.acked + handle.counters.skipped === 2);
    expect(handle.counters).toMatchObject({ acked: 1, skipped: 1 });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler).toHaveBeenCalledWith(expect.objectContaining({ msgId: 'evt-new' }));
    await expect(store.seen('test-consumer', 'evt-new')).resolves.toBe(true);
    await expect(store.seen('other-consumer', 'evt-new')).resolves.toBe(false);
  });

  it('naks when the idempotency store fails, and acks anyway when only remembering fails', async () => {
    const { publisher, consumers } = await setUp();
    let failSeen = true;
    const store: IdempotencyStore = {
      seen: async () => {
        if (failSeen) {
          failSeen = false;
          throw new ParleyError('unavailable', 'store down');
        }
        return false;
      },
      remember: async () => {
        throw new ParleyError('unavailable', 'store down');
      },
    };
    const handler = jest.fn(async () => undefined);
    const handle = await start(consumers, options(handler, { idempotency: store }));
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Ada' }, 'evt-store');
    await eventually(() => handle.counters.acked === 1);
    expect(handle.counters.naked).toBe(1);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('passes messages through without contracts, taking tenant and type from the subject', async () => {
    const { publisher, consumers } = await setUp();
    const seen: ConsumedEvent[] = [];
    const handle = await start(
      consumers,
      options(async (event) => void seen.push(event), { contract: undefined, durable: 'raw' }),
    );
    await publisher.publish(
      eventFilter('identity', 'user.deleted', tenantId),
      { any: 'thing' },
      { msgId: 'raw-1' },
    );
    await eventually(() => handle.counters.acked === 1);
    expect(seen[0]).toMatchObject({ tenantId, type: 'user.deleted', payload: { any: 'thing' } });
  });

  it('stops cleanly: the message in hand finishes and is acked, the rest goes to the next consumer', async () => {
    const { ns, publisher, consumers } = await setUp();
    let release: () => void = () => undefined;
    const started: string[] = [];
    const handle = await start(
      consumers,
      options(async (event) => {
        started.push(event.msgId);
        if (event.msgId === 'slow') {
          await new Promise<void>((resolve) => (release = resolve));
        }
      }),
    );
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'A' }, 'slow');
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'B' }, 'next');
    await eventually(() => started.includes('slow'));
    const stopping = handle.stop();
    release();
    await stopping;
    await expect(handle.done).resolves.toBeUndefined();
    expect(handle.counters.acked).toBe(1);
    expect(started).toEqual(['slow']);

    const after: string[] = [];
    const next = await start(
      consumers,
      options(async (event) => void after.push(event.msgId)),
    );
    await eventually(() => next.counters.acked === 1);
    expect(after).toEqual(['next']);
    const info = await jsm.consumers.info(ns.stream('identity_events'), 'test-consumer');
    expect(info.delivered.stream_seq).toBe(2);
  });

  it('creates a consumer deleted while running again, resuming after the events handled', async () => {
    const { ns, publisher, consumers } = await setUp();
    const handled: string[] = [];
    const handle = await start(
      consumers,
      options(async (event) => void handled.push(event.msgId), {
        deliverPolicy: 'new',
        description: 'Test consumer, created again when deleted',
      }),
    );
    for (const id of ['before-1', 'before-2']) {
      await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: id }, id);
    }
    await eventually(() => handle.counters.acked === 2);
    // The runner reads the consumer's acknowledged floor every 5 s: let it see both acks.
    await new Promise((resolve) => setTimeout(resolve, 5_500));
    await jsm.consumers.delete(ns.stream('identity_events'), 'test-consumer');
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'gone' }, 'while-gone');
    await eventually(() => handled.includes('while-gone'), 60_000);
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'after' }, 'after');
    await eventually(() => handled.includes('after'), 10_000);
    // Nothing published while it was gone is lost, and nothing handled before comes again.
    expect(handled.filter((id) => id === 'while-gone')).toEqual(['while-gone']);
    expect(handled.filter((id) => id.startsWith('before'))).toEqual(['before-1', 'before-2']);
    const info = await jsm.consumers.info(ns.stream('identity_events'), 'test-consumer');
    expect(info.config.description).toBe('Test consumer, created again when deleted');
    expect(info.config.ack_policy).toBe('explicit');
    // Created again where handling stopped: after the two handled events, not at the stream's end
    // (the spec's `new`) and not at its start.
    expect(info.config.deliver_policy).toBe('by_start_sequence');
    expect(info.config.opt_start_seq).toBe(3);
  }, 90_000);

  it('reads a stream created again from its start, whatever the old position was', async () => {
    const { ns, publisher, consumers } = await setUp();
    const handled: string[] = [];
    const handle = await start(
      consumers,
      options(async (event) => void handled.push(event.msgId), { deliverPolicy: 'new' }),
    );
    for (const id of ['old-1', 'old-2', 'old-3', 'old-4']) {
      await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: id }, id);
    }
    await eventually(() => handle.counters.acked === 4);
    await jsm.streams.delete(ns.stream('identity_events'));
    await provisionServiceEventStream(jsm, ns, 'identity', { maxAgeMs: 60_000, duplicateWindowMs: 30_000 });
    const fresh = ['new-1', 'new-2', 'new-3', 'new-4', 'new-5', 'new-6'];
    for (const id of fresh) {
      await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: id }, id);
    }
    await eventually(() => fresh.every((id) => handled.includes(id)), 60_000);
    expect(handled.filter((id) => id.startsWith('new'))).toEqual(fresh);
  }, 90_000);

  it('keeps a poison message when its dead letter cannot be recorded, and records it once it can', async () => {
    const { ns, publisher, consumers } = await setUp({ deadLetters: false });
    const handle = await start(
      consumers,
      options(async () => undefined),
    );
    await publisher.publish(userCreated.subject(tenantId), { userId: 'not-a-uuid' }, { msgId: 'kept' });
    await eventually(() => handle.counters.naked >= 1);
    expect(handle.counters.deadLettered).toBe(0);
    await provisionDeadLetterStream(jsm, ns, { maxAgeMs: 60_000, duplicateWindowMs: 30_000 });
    await eventually(() => handle.counters.deadLettered === 1);
    const [record] = await deadLetters(ns, 'test-consumer');
    expect(record?.headers[headerNames.messageId]).toBe('kept');
  });

  it('dead-letters a message redelivered past maxDeliver without ever reporting an outcome', async () => {
    const { ns, publisher, consumers } = await setUp();
    const durable = 'stuck';
    const spec = {
      stream: eventStreamName('identity'),
      durable,
      filterSubjects: [eventFilter('identity', '*.*')],
    };
    await provisionConsumer(jsm, ns, { ...spec, ackWaitMs: 200 });
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'Ada' }, 'evt-stuck');
    // A worker that took the message and died: no ack, no nak.
    const raw = await jetstream(connection).consumers.get(ns.stream('identity_events'), durable);
    expect((await raw.next({ expires: 2000 }))?.info.deliveryCount).toBe(1);
    const handler = jest.fn(async () => undefined);
    const handle = await start(consumers, options(handler, { durable, maxDeliver: 1, ackWaitMs: 200 }));
    await eventually(() => handle.counters.deadLettered === 1);
    expect(handler).not.toHaveBeenCalled();
    const [record] = await deadLetters(ns, durable);
    expect(record?.reason).toBe('Delivered 2 times without an outcome');
  });

  it('keeps consuming when the outcome callback throws', async () => {
    const { publisher, consumers } = await setUp();
    const handle = await start(
      consumers,
      options(async () => undefined, {
        onOutcome: () => {
          throw new Error('metrics broken');
        },
      }),
    );
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'A' }, 'evt-a');
    await publisher.publishEvent(userCreated, tenantId, { userId: randomUUID(), name: 'B' }, 'evt-b');
    await eventually(() => handle.counters.acked === 2);
  });

  it('rejects bad options before touching the server', async () => {
    const { consumers } = await setUp();
    const handler = async (): Promise<void> => undefined;
    await expect(
      consumers.consume({ ...options(handler), consumerService: 'notification', maxDeliver: 0 }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(
      consumers.consume({
        ...options(handler),
        consumerService: 'notification',
        backoff: { initialMs: 10, maxMs: 1 },
      }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      consumers.consume({ ...options(handler), consumerService: 'notification', durable: 'Not_Kebab' }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });
});

describe('KvIdempotencyStore', () => {
  it('reports unavailable when the bucket cannot be used', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    const store = await KvIdempotencyStore.open(connection, ns, { ttlMs: 60_000 });
    await jsm.streams.delete(`KV_${ns.stream('idempotency')}`);
    await expect(store.seen('mailer', 'x')).rejects.toMatchObject({ code: 'unavailable' });
    await expect(store.remember('mailer', 'x')).rejects.toMatchObject({ code: 'unavailable' });

    const closed = await connectNats({ url: natsUrl(), name: 'closed' });
    await closed.close();
    await expect(KvIdempotencyStore.open(closed, ns)).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('keeps one bucket per namespace, with a TTL, and encodes ids a key cannot hold', async () => {
    const ns = new Namespace(uniqueNamespace());
    created.push(ns);
    const store = await KvIdempotencyStore.open(connection, ns, { ttlMs: 60_000 });
    await expect(store.seen('mailer', 'id with spaces/ü')).resolves.toBe(false);
    await store.remember('mailer', 'id with spaces/ü');
    await expect(store.seen('mailer', 'id with spaces/ü')).resolves.toBe(true);
    const status = await (await new Kvm(connection).open(ns.stream('idempotency'))).status();
    expect(status.ttl).toBe(60_000);

    const otherNs = new Namespace(uniqueNamespace());
    created.push(otherNs);
    const other = await KvIdempotencyStore.open(connection, otherNs, { ttlMs: 60_000 });
    await expect(other.seen('mailer', 'id with spaces/ü')).resolves.toBe(false);
  });
});
