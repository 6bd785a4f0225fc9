import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  deadLetterSubject,
  headerNames,
  parseEventSubject,
  ParleyError,
  validationError,
  type EventContract,
  type ServiceName,
} from '@parley/contracts';
import { createLogger, requestContext, type Logger } from '@parley/logging';
import { z } from 'zod';
import { NATS_CONNECTION } from './connection.js';
import { reasonOf } from './error-details.js';
import { EventPublisher } from './event.publisher.js';
import type { IdempotencyStore } from './idempotency.store.js';
import { provisionConsumer, type ConsumerSpec } from './jetstream.provisioning.js';
import { contextFromHeaders, headersToRecord, headerValue } from './message-headers.js';
import { Namespace } from './namespace.js';
import { decodeJsonBody } from './rpc.codec.js';

/** One message as a handler sees it. */
export interface ConsumedEvent<P = unknown> {
  /** Canonical subject (without namespace). */
  subject: string;
  /** From the event subject; for other subjects the `Parley-Tenant-Id` header, or ''. */
  tenantId: string;
  /** `<entity>.<event>`; for other subjects the `Parley-Event-Type` header, or the subject. */
  type: string;
  /** Parsed by the matching contract when contracts are given; the decoded JSON otherwise. */
  payload: P;
  /** `Nats-Msg-Id`, or `<stream>:<sequence>` when the publisher set none. */
  msgId: string;
  /** 1 on first delivery. */
  deliveryCount: number;
  headers: Record<string, string>;
}

export type ConsumeOutcome = 'acked' | 'naked' | 'dead_lettered' | 'skipped';

/** What happened to the messages of one consumer, for metrics. */
export interface ConsumerCounters {
  acked: number;
  naked: number;
  deadLettered: number;
  /** Acknowledged without running the handler: already handled (idempotency store). */
  skipped: number;
}

export interface ConsumeOptions {
  /** Canonical stream name, e.g. `eventStreamName('identity')`. */
  stream: string;
  /** Durable consumer name, e.g. `notification-user-created`. */
  durable: string;
  /** Canonical subject filters, e.g. `[eventFilter('identity', 'user.created')]`. */
  filterSubjects: string[];
  /** When given, a message must match one of them (by service and type) and its payload schema. */
  contract?: EventContract | EventContract[];
  handler: (event: ConsumedEvent) => Promise<void>;
  /** The service that consumes; its dead letters go to `<service>.v1.dead-letters.<durable>`. */
  consumerService: ServiceName;
  /** Deliveries before a failing message becomes a dead letter. */
  maxDeliver?: number;
  /** Redelivery delay after a failure: `min(initialMs * 2^(deliveryCount - 1), maxMs)`. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long the server waits for an outcome before delivering again (kept alive while handling). */
  ackWaitMs?: number;
  idempotency?: IdempotencyStore;
  /** Messages pulled ahead of the one being handled. Handling itself is sequential. */
  prefetch?: number;
  /** Where the consumer starts when it is first created (default `all`). */
  deliverPolicy?: 'all' | 'new';
  /** The consumer's description on the server. */
  description?: string;
  /** Called after each outcome, e.g. to count it in metrics. */
  onOutcome?: (
    outcome: ConsumeOutcome,
    event: { subject: string; msgId: string; deliveryCount: number },
  ) => void;
}

export interface ConsumerHandle {
  /** Live counters of this consumer. */
  readonly counters: Readonly<ConsumerCounters>;
  /** Stops pulling, lets the message being handled finish, releases the prefetched ones. */
  stop(): Promise<void>;
  /** Settles when the consumer has stopped, whether by `stop()` or because its iterator failed. */
  readonly done: Promise<void>;
}

/** A dead letter as recorded in the `dead_letters` stream. */
export interface DeadLetterRecord {
  service: ServiceName;
  consumer: string;
  stream: string;
  streamSequence: number;
  subject: string;
  deliveryCount: number;
  reason: string;
  failedAt: string;
  headers: Record<string, string>;
  /** The original JSON payload; absent when the body was not JSON (see `payloadBase64`). */
  payload?: unknown;
  payloadBase64?: string;
}

const tuningSchema = z.object({
  maxDeliver: z.number().int().min(1).default(8),
  backoff: z
    .object({ initialMs: z.number().int().min(0), maxMs: z.number().int().min(0) })
    .refine((backoff) => backoff.initialMs <= backoff.maxMs, 'initialMs cannot exceed maxMs')
    .default({ initialMs: 1000, maxMs: 60_000 }),
  ackWaitMs: z.number().int().min(100).default(30_000),
  prefetch: z.number().int().min(1).max(1000).default(10),
});

type Decoded =
  | { ok: true; event: ConsumedEvent }
  | { ok: false; reason: string; payload: { json: unknown } | { raw: Uint8Array } };

/**
 * Runs JetStream consumers the Parley way: durable pull consumer, explicit ack; success acks, a
 * thrown error naks with capped exponential backoff, a poison message (undecodable JSON, payload
 * failing its contract) and a message still failing at `maxDeliver` are recorded as dead letters
 * and terminated. Each handler runs inside the request context of the message's headers.
 */
@Injectable()
export class EventConsumer implements BeforeApplicationShutdown {
  private readonly log = createLogger(EventConsumer.name);
  private readonly handles = new Set<ConsumerHandle>();
  private readonly publisher: EventPublisher;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly namespace: Namespace,
  ) {
    this.publisher = new EventPublisher(connection, namespace);
  }

  async consume(options: ConsumeOptions): Promise<ConsumerHandle> {
    const tuning = tuningSchema.safeParse({
      maxDeliver: options.maxDeliver,
      backoff: options.backoff,
      ackWaitMs: options.ackWaitMs,
      prefetch: options.prefetch,
    });
    if (!tuning.success) {
      throw validationError('consumer options', tuning.error);
    }
    const deadLetters = deadLetterSubjectOf(options);
    const spec: ConsumerSpec = {
      stream: options.stream,
      durable: options.durable,
      filterSubjects: options.filterSubjects,
      ackWaitMs: tuning.data.ackWaitMs,
      ...(options.deliverPolicy === undefined ? {} : { deliverPolicy: options.deliverPolicy }),
      ...(options.description === undefined ? {} : { description: options.description }),
    };
    const jsm = await jetstreamManager(this.connection);
    // The durable consumer is created or brought to the spec first, and created again should it
    // be deleted while running.
    await provisionConsumer(jsm, this.namespace, spec);
    const consumer = await jetstream(this.connection).consumers.get(
      this.namespace.stream(options.stream),
      options.durable,
    );
    // Pulls expire after 5 s (the server's heartbeats come every 2.5 s): a consumer deleted on
    // the server is noticed within seconds, not after the client's default half minute.
    const messages = await consumer.consume({ max_messages: tuning.data.prefetch, expires: pullExpiresMs });
    const run = new ConsumerRun(options, tuning.data, deadLetters, this.namespace, this.publisher, this.log);
    const done = run.loop(messages);
    const guard = new ConsumerGuard(jsm, this.namespace, spec, run, this.log);
    const guarding = guard.watch(messages);
    const handle: ConsumerHandle = {
      counters: run.counters,
      done,
      stop: async () => {
        run.stopping = true;
        guard.stop();
        await messages.close();
        await done;
        await guarding;
        this.handles.delete(handle);
        // Acks are fire-and-forget: make sure they reached the server before we report stopped.
        if (!this.connection.isClosed()) {
          await this.connection.flush();
        }
      },
    };
    this.handles.add(handle);
    void done.then(() => {
      // The loop ended (stopped, or failed): nobody reads the consumer any more, so nothing
      // should bring it back.
      guard.stop();
      this.handles.delete(handle);
    });
    return handle;
  }

  /** Stops every consumer this runner started. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.handles].map((handle) => handle.stop()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopAll();
  }
}

/** How long one pull for more messages waits on the server. */
const pullExpiresMs = 5_000;

/** How often a running consumer's acknowledged position is read, to resume there if it is deleted. */
const positionRefreshMs = 5_000;

/** What one instance knows of where its consumer stands (stream sequence numbers). */
export interface ConsumerPosition {
  /** The message being handled. */
  readonly inHand: number | undefined;
  /** The highest message handled (acked, skipped or dead-lettered) or handed back. */
  readonly lastHandled: number | undefined;
  /** Messages handed back (nak) and not handled since: they come again. */
  readonly handedBack: ReadonlySet<number>;
  /** The consumer's acknowledged floor as last read from the server; undefined before a read. */
  readonly ackFloor: number | undefined;
}

/**
 * Where a consumer created again starts: the first message not known to be handled. That is the
 * lowest of one past the acknowledged floor (which covers every instance sharing the consumer),
 * the message in hand, the messages handed back for a retry, and one past the last handled. A
 * floor never read leaves this instance's own knowledge, which still includes what it handed back.
 * Messages in between come again, never fewer (at least once); undefined: nothing is known.
 */
export function resumeSequence(position: ConsumerPosition): number | undefined {
  const floor = position.ackFloor ?? 0;
  let lowest = position.ackFloor === undefined ? undefined : position.ackFloor + 1;
  const take = (sequence: number | undefined) => {
    if (sequence !== undefined && (lowest === undefined || sequence < lowest)) {
      lowest = sequence;
    }
  };
  take(position.inHand);
  take(position.lastHandled === undefined ? undefined : position.lastHandled + 1);
  for (const sequence of position.handedBack) {
    // At or below the floor it was acknowledged since, by whichever instance took it.
    if (sequence > floor) {
      take(sequence);
    }
  }
  return lowest;
}

/**
 * Keeps a running consumer in existence: when the server reports it deleted or missing (an
 * operator removed it, the server lost it), it is created again from the same spec, starting at
 * `resumeSequence`, with the acknowledged floor read every few seconds (one read at a time). A
 * stream created again (its creation time changed, or it has fewer messages than the position)
 * is read from its start.
 */
class ConsumerGuard {
  private ackFloor: number | undefined;
  private streamCreated: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private refreshing = false;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly namespace: Namespace,
    private readonly spec: ConsumerSpec,
    private readonly run: ConsumerRun,
    private readonly log: Logger,
  ) {}

  async watch(messages: ConsumerMessages): Promise<void> {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), positionRefreshMs);
    this.timer.unref();
    try {
      for await (const status of messages.status()) {
        if (this.stopped) {
          break;
        }
        if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') {
          await this.recreate(status.type);
        }
      }
    } finally {
      this.stop();
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      return;
    }
    this.refreshing = true;
    const stream = this.namespace.stream(this.spec.stream);
    try {
      if (this.streamCreated === undefined) {
        this.streamCreated = (await this.jsm.streams.info(stream)).created;
        this.run.streamCreatedAt = Date.parse(this.streamCreated);
      }
      const readFor = this.streamCreated;
      const info = await this.jsm.consumers.info(stream, this.spec.durable);
      if (this.streamCreated !== readFor) {
        // The stream was created again while this was read: the floor is the old consumer's.
        return;
      }
      this.ackFloor = info.ack_floor.stream_seq;
      for (const sequence of this.run.handedBack) {
        // Acknowledged since, here or by another instance sharing the consumer.
        if (sequence <= this.ackFloor) {
          this.run.handedBack.delete(sequence);
        }
      }
    } catch {
      // Missing right now: the status loop deals with that; keep the floor last read.
    } finally {
      this.refreshing = false;
    }
  }

  private async recreate(reason: string): Promise<void> {
    const context = { stream: this.spec.stream, durable: this.spec.durable, reason };
    try {
      let startSequence = resumeSequence({
        inHand: this.run.inHand,
        lastHandled: this.run.lastHandled,
        handedBack: this.run.handedBack,
        ackFloor: this.ackFloor,
      });
      const stream = await this.jsm.streams.info(this.namespace.stream(this.spec.stream));
      const recreated =
        (this.streamCreated !== undefined && stream.created !== this.streamCreated) ||
        (startSequence !== undefined && startSequence > stream.state.last_seq + 1);
      if (recreated) {
        // The stream was created again and numbers from 1: the old position means nothing there,
        // and nothing in the new stream was handled, whatever the spec's deliver policy.
        startSequence = 1;
        this.ackFloor = undefined;
        this.streamCreated = stream.created;
        this.run.forgetPositions(Date.parse(stream.created));
      }
      const outcome = await provisionConsumer(this.jsm, this.namespace, {
        ...this.spec,
        ...(startSequence === undefined ? {} : { startSequence }),
      });
      if (outcome === 'created') {
        this.log.warn({ ...context, startSequence }, 'Created the deleted consumer again; resuming');
      }
    } catch (error) {
      this.log.error(
        { ...context, err: error },
        'Could not create the consumer again; will try on the next report',
      );
    }
  }
}

/** The state of one running consumer. */
class ConsumerRun {
  readonly counters: ConsumerCounters = { acked: 0, naked: 0, deadLettered: 0, skipped: 0 };
  stopping = false;
  /** The stream sequence of the message being handled, and of the last one handled. */
  inHand: number | undefined;
  lastHandled: number | undefined;
  /** Messages handed back for a retry (nak) and not handled since. */
  readonly handedBack = new Set<number>();

  /** When the stream read was created (ms); messages stored before are of an earlier stream. */
  streamCreatedAt: number | undefined;

  /** The stream was created again: positions in the old one mean nothing in it. */
  forgetPositions(createdAt: number): void {
    this.streamCreatedAt = createdAt;
    this.inHand = undefined;
    this.lastHandled = undefined;
    this.handedBack.clear();
  }
  private readonly contracts: readonly EventContract[];

  constructor(
    private readonly options: ConsumeOptions,
    private readonly tuning: z.output<typeof tuningSchema>,
    private readonly deadLetters: string,
    private readonly namespace: Namespace,
    private readonly publisher: EventPublisher,
    private readonly log: Logger,
  ) {
    const contract = options.contract;
    this.contracts = contract === undefined ? [] : Array.isArray(contract) ? contract : [contract];
  }

  async loop(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const message of messages) {
        if (this.stopping) {
          // Prefetched but not started: hand it back for immediate redelivery elsewhere.
          message.nak();
          continue;
        }
        // A message already fetched from a stream since created again is handled, but its
        // position means nothing in the new stream.
        const current = this.streamCreatedAt === undefined || message.time.getTime() >= this.streamCreatedAt;
        const sequence = message.info.streamSequence;
        this.inHand = current ? sequence : undefined;
        this.handedBack.delete(sequence);
        await requestContext.run(contextFromHeaders(message.headers), () => this.process(message));
        // Still in hand: handled in the stream read (not one since created again).
        if (this.inHand === sequence) {
          this.lastHandled = Math.max(this.lastHandled ?? 0, sequence);
        }
        this.inHand = undefined;
      }
    } catch (error) {
      this.log.error({ durable: this.options.durable, err: error }, 'Consumer stopped on an error');
    }
  }

  private async process(message: JsMsg): Promise<void> {
    const deliveryCount = message.info.deliveryCount;
    const decoded = this.decode(message);
    if (!decoded.ok) {
      await this.deadLetter(message, decoded.reason, decoded.payload);
      return;
    }
    const event = decoded.event;
    if (deliveryCount > this.tuning.maxDeliver) {
      // Delivered again after the handler never reported (crash, ack wait exceeded).
      await this.deadLetter(message, `Delivered ${deliveryCount} times without an outcome`, {
        json: event.payload,
      });
      return;
    }
    const idempotency = this.options.idempotency;
    try {
      if (idempotency && (await idempotency.seen(this.options.durable, event.msgId))) {
        message.ack();
        this.record('skipped', event);
        return;
      }
      await this.keepingAlive(message, () => this.options.handler(event));
    } catch (error) {
      await this.failed(message, event, error);
      return;
    }
    if (idempotency) {
      try {
        await idempotency.remember(this.options.durable, event.msgId);
      } catch (error) {
        // The work is done; acking anyway risks one repeat if the message is published again.
        this.log.error({ msgId: event.msgId, err: error }, 'Could not remember a handled message');
      }
    }
    message.ack();
    this.record('acked', event);
  }

  private async failed(message: JsMsg, event: ConsumedEvent, error: unknown): Promise<void> {
    const reason = reasonOf(error);
    if (event.deliveryCount >= this.tuning.maxDeliver) {
      await this.deadLetter(message, `Failed ${event.deliveryCount} times; last error: ${reason}`, {
        json: event.payload,
      });
      return;
    }
    const delay = this.backoffDelay(event.deliveryCount);
    this.log.warn(
      {
        durable: this.options.durable,
        subject: event.subject,
        msgId: event.msgId,
        deliveryCount: event.deliveryCount,
        retryInMs: delay,
        err: error,
      },
      'Event handler failed; will retry',
    );
    this.handBack(message, delay);
    this.record('naked', event);
  }

  /** Hands a message back for a retry after `delay`; the loop remembers it until it comes again. */
  private handBack(message: JsMsg, delay: number): void {
    if (this.inHand === message.seq) {
      this.handedBack.add(message.seq);
    }
    message.nak(delay);
  }

  private backoffDelay(deliveryCount: number): number {
    const { initialMs, maxMs } = this.tuning.backoff;
    return Math.min(initialMs * 2 ** (deliveryCount - 1), maxMs);
  }

  /** Records the message in the dead-letter stream, then terminates it; retries if recording fails. */
  private async deadLetter(
    message: JsMsg,
    reason: string,
    payload: { json: unknown } | { raw: Uint8Array },
  ): Promise<void> {
    const subject = this.namespace.strip(message.subject);
    const summary = {
      subject,
      msgId: messageIdOf(message, this.options.stream),
      deliveryCount: message.info.deliveryCount,
    };
    const record: DeadLetterRecord = {
      service: this.options.consumerService,
      consumer: this.options.durable,
      stream: this.options.stream,
      streamSequence: message.seq,
      subject,
      deliveryCount: message.info.deliveryCount,
      reason,
      failedAt: new Date().toISOString(),
      headers: withoutCredentials(headersToRecord(message.headers)),
      ...('json' in payload
        ? { payload: payload.json }
        : { payloadBase64: Buffer.from(payload.raw).toString('base64') }),
    };
    try {
      await this.publisher.publish(this.deadLetters, record, {
        // One dead letter per stream message, however often recording it is retried.
        msgId: `${this.options.stream}:${this.options.durable}:${message.seq}`,
      });
    } catch (error) {
      const delay = this.tuning.backoff.maxMs;
      this.log.error({ ...summary, reason, err: error }, 'Could not record a dead letter; will retry');
      this.handBack(message, delay);
      this.record('naked', summary);
      return;
    }
    this.log.error({ ...summary, reason }, 'Message moved to dead letters');
    // No reason on the wire: servers before 2.10 ignore a `+TERM <reason>` entirely (the message
    // would come back after the ack wait). The reason is in the dead letter.
    message.term();
    this.record('dead_lettered', summary);
  }

  private decode(message: JsMsg): Decoded {
    const subject = this.namespace.strip(message.subject);
    let payload: unknown;
    try {
      payload = decodeJsonBody(message.data);
    } catch {
      return { ok: false, reason: 'The body is not valid JSON', payload: { raw: message.data } };
    }
    const headers = headersToRecord(message.headers);
    const parsed = parseEventSubject(subject);
    const base = {
      subject,
      msgId: messageIdOf(message, this.options.stream),
      deliveryCount: message.info.deliveryCount,
      headers,
    };
    if (this.contracts.length === 0) {
      return {
        ok: true,
        event: {
          ...base,
          tenantId: parsed?.tenantId ?? headerValue(message.headers, headerNames.tenantId) ?? '',
          type: parsed?.type ?? headerValue(message.headers, headerNames.eventType) ?? subject,
          payload,
        },
      };
    }
    const contract = parsed
      ? this.contracts.find(
          (candidate) => candidate.service === parsed.service && candidate.type === parsed.type,
        )
      : undefined;
    if (!parsed || !contract) {
      return { ok: false, reason: `No event contract for subject ${subject}`, payload: { json: payload } };
    }
    const checked = contract.payload.safeParse(payload);
    if (!checked.success) {
      const issues = checked.error.issues.map(
        (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
      );
      return {
        ok: false,
        reason: `Payload does not match ${parsed.type}: ${issues.join('; ')}`,
        payload: { json: payload },
      };
    }
    return {
      ok: true,
      event: { ...base, tenantId: parsed.tenantId, type: parsed.type, payload: checked.data },
    };
  }

  /** Tells the server the message is still being worked on, so a slow handler is not redelivered. */
  private async keepingAlive(message: JsMsg, work: () => Promise<void>): Promise<void> {
    const timer = setInterval(() => message.working(), Math.max(50, Math.floor(this.tuning.ackWaitMs / 2)));
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
  }

  private record(
    outcome: ConsumeOutcome,
    event: { subject: string; msgId: string; deliveryCount: number },
  ): void {
    switch (outcome) {
      case 'acked':
        this.counters.acked += 1;
        break;
      case 'naked':
        this.counters.naked += 1;
        break;
      case 'dead_lettered':
        this.counters.deadLettered += 1;
        break;
      case 'skipped':
        this.counters.skipped += 1;
        break;
    }
    try {
      this.options.onOutcome?.(outcome, {
        subject: event.subject,
        msgId: event.msgId,
        deliveryCount: event.deliveryCount,
      });
    } catch (error) {
      this.log.error({ err: error }, 'onOutcome callback failed');
    }
  }
}

/** Checked before anything starts, so that a bad name fails now and not at the first dead letter. */
function deadLetterSubjectOf(options: ConsumeOptions): string {
  try {
    return deadLetterSubject(options.consumerService, options.durable);
  } catch (error) {
    throw new ParleyError('validation_failed', `Invalid consumer name "${options.durable}"`, {
      reason: reasonOf(error),
    });
  }
}

/** A dead letter is kept for a month and read by people: no access token goes with it. */
function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) => name.toLowerCase() !== headerNames.authorization.toLowerCase(),
    ),
  );
}

function messageIdOf(message: JsMsg, stream: string): string {
  return headerValue(message.headers, headerNames.messageId) ?? `${stream}:${message.seq}`;
}
