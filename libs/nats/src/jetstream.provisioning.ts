import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import {
  deadLetterStream,
  eventStreamName,
  eventStreamSubjects,
  ParleyError,
  validationError,
  type ServiceName,
} from '@parley/contracts';
import { z } from 'zod';
import type { Namespace } from './namespace.js';

export type ProvisionOutcome = 'created' | 'updated' | 'unchanged';

const day = 24 * 60 * 60 * 1000;

const streamSpecSchema = z
  .object({
    /** Canonical name; the namespace is applied here. */
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, "-" and "_"'),
    /** Canonical subjects (or filters); the namespace is applied here. */
    subjects: z.array(z.string().min(1)).min(1),
    /** How long a message is kept; 0 keeps it until a size limit removes it. */
    maxAgeMs: z
      .number()
      .int()
      .min(0)
      .default(7 * day),
    /** -1: no limit. */
    maxBytes: z.number().int().min(-1).default(-1),
    /** -1: no limit. */
    maxMsgs: z.number().int().min(-1).default(-1),
    /** How long a `Nats-Msg-Id` is remembered to drop a duplicate publish. */
    duplicateWindowMs: z
      .number()
      .int()
      .min(1)
      .default(2 * 60 * 1000),
    replicas: z.number().int().min(1).max(5).default(1),
    description: z.string().optional(),
  })
  .refine((spec) => spec.maxAgeMs === 0 || spec.duplicateWindowMs <= spec.maxAgeMs, {
    message: 'The duplicate window cannot be longer than the maximum age',
    path: ['duplicateWindowMs'],
  });
export type StreamSpec = z.input<typeof streamSpecSchema>;

/**
 * Creates the stream, or brings an existing one to the spec (file storage, limits retention).
 * Safe to run at every start of every instance.
 */
export async function provisionStream(
  jsm: JetStreamManager,
  namespace: Namespace,
  spec: StreamSpec,
): Promise<ProvisionOutcome> {
  const parsed = streamSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw validationError('stream spec', parsed.error);
  }
  const wanted = parsed.data;
  const name = namespace.stream(wanted.name);
  const settings = {
    subjects: wanted.subjects.map((subject) => namespace.subject(subject)),
    max_age: nanos(wanted.maxAgeMs),
    max_bytes: wanted.maxBytes,
    max_msgs: wanted.maxMsgs,
    duplicate_window: nanos(wanted.duplicateWindowMs),
    num_replicas: wanted.replicas,
    ...(wanted.description === undefined ? {} : { description: wanted.description }),
  };
  const existing = await streamInfo(jsm, name);
  if (!existing) {
    const created = await addOrRace(() =>
      jsm.streams.add({
        name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        ...settings,
      }),
    );
    if (created) {
      return 'created';
    }
  }
  const current = existing ?? (await jsm.streams.info(name));
  if (current.config.storage !== StorageType.File || current.config.retention !== RetentionPolicy.Limits) {
    throw new ParleyError(
      'conflict',
      `Stream ${name} exists with other storage or retention; it needs a migration`,
    );
  }
  if (streamMatches(current.config, settings)) {
    return 'unchanged';
  }
  await jsm.streams.update(name, settings);
  return 'updated';
}

/** The events stream of a service: `<service>_events` capturing `<service>.v1.events.>`. */
export function provisionServiceEventStream(
  jsm: JetStreamManager,
  namespace: Namespace,
  service: ServiceName,
  limits: Omit<StreamSpec, 'name' | 'subjects'> = {},
): Promise<ProvisionOutcome> {
  return provisionStream(jsm, namespace, {
    description: `Events published by ${service}`,
    ...limits,
    name: eventStreamName(service),
    subjects: eventStreamSubjects(service),
  });
}

/** The one stream of dead letters, kept a month by default so someone can inspect them. */
export function provisionDeadLetterStream(
  jsm: JetStreamManager,
  namespace: Namespace,
  limits: Omit<StreamSpec, 'name' | 'subjects'> = {},
): Promise<ProvisionOutcome> {
  return provisionStream(jsm, namespace, {
    description: 'Messages consumers gave up on',
    maxAgeMs: 30 * day,
    ...limits,
    name: deadLetterStream.name,
    subjects: [...deadLetterStream.subjects],
  });
}

const consumerSpecSchema = z.object({
  /** Canonical stream name; the namespace is applied here. */
  stream: z.string().min(1),
  durable: z.string().regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, "-" and "_"'),
  /** Canonical subject filters; several need NATS 2.10 or later. */
  filterSubjects: z.array(z.string().min(1)).min(1),
  /** How long the server waits for an ack before delivering again. */
  ackWaitMs: z.number().int().min(100).default(30_000),
  maxAckPending: z.number().int().min(1).default(1000),
  /** Where a new consumer starts; an existing one keeps its position. */
  deliverPolicy: z.enum(['all', 'new']).default('all'),
  /** Where a new consumer starts instead: this stream sequence (a consumer created again). */
  startSequence: z.number().int().min(1).optional(),
  description: z.string().optional(),
});
export type ConsumerSpec = z.input<typeof consumerSpecSchema>;

/**
 * Creates the durable pull consumer (explicit ack), or brings an existing one to the spec.
 * `max_deliver` stays unlimited on the server: the consumer runner counts deliveries itself, so
 * that a message is never dropped before it has been recorded as a dead letter.
 */
export async function provisionConsumer(
  jsm: JetStreamManager,
  namespace: Namespace,
  spec: ConsumerSpec,
): Promise<ProvisionOutcome> {
  const parsed = consumerSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw validationError('consumer spec', parsed.error);
  }
  const wanted = parsed.data;
  const stream = namespace.stream(wanted.stream);
  const filters = wanted.filterSubjects.map((subject) => namespace.subject(subject));
  const settings: Partial<ConsumerConfig> = {
    ack_wait: nanos(wanted.ackWaitMs),
    max_ack_pending: wanted.maxAckPending,
    max_deliver: -1,
    ...(filters.length === 1 ? { filter_subject: filters[0] } : { filter_subjects: filters }),
    ...(wanted.description === undefined ? {} : { description: wanted.description }),
  };
  const existing = await consumerInfo(jsm, stream, wanted.durable);
  if (!existing) {
    const created = await addOrRace(() =>
      jsm.consumers.add(stream, {
        durable_name: wanted.durable,
        ack_policy: AckPolicy.Explicit,
        ...(wanted.startSequence !== undefined
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: wanted.startSequence }
          : { deliver_policy: wanted.deliverPolicy === 'all' ? DeliverPolicy.All : DeliverPolicy.New }),
        ...settings,
      }),
    );
    if (created) {
      return 'created';
    }
  }
  const current = existing ?? (await jsm.consumers.info(stream, wanted.durable));
  if (current.config.ack_policy !== AckPolicy.Explicit || current.config.deliver_subject) {
    throw new ParleyError(
      'conflict',
      `Consumer ${wanted.durable} on ${stream} is not an explicit-ack pull consumer`,
    );
  }
  if (consumerMatches(current.config, settings, filters)) {
    return 'unchanged';
  }
  // The client sends the whole merged config, so clearing the other filter field means unsetting it
  // (an empty array would also make the client demand NATS 2.10).
  await jsm.consumers.update(
    stream,
    wanted.durable,
    filters.length === 1
      ? { ...settings, filter_subjects: undefined }
      : { ...settings, filter_subject: undefined },
  );
  return 'updated';
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (isApiError(error, JetStreamApiCodes.StreamNotFound)) {
      return undefined;
    }
    throw error;
  }
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (isApiError(error, JetStreamApiCodes.ConsumerNotFound)) {
      return undefined;
    }
    throw error;
  }
}

// Another instance may create the same stream or consumer between our info and add.
const alreadyExistsCodes = new Set([
  10058 /* stream name already in use */, 10105 /* consumer already exists */,
  10148 /* consumer name already in use */,
]);

/** True when `add` created it; false when another process got there first. */
async function addOrRace(add: () => Promise<unknown>): Promise<boolean> {
  try {
    await add();
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && alreadyExistsCodes.has(error.code)) {
      return false;
    }
    throw error;
  }
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

function streamMatches(
  current: StreamConfig,
  wanted: Pick<
    StreamConfig,
    'subjects' | 'max_age' | 'max_bytes' | 'max_msgs' | 'duplicate_window' | 'num_replicas'
  > & {
    description?: string;
  },
): boolean {
  return (
    sameSet(current.subjects, wanted.subjects) &&
    current.max_age === wanted.max_age &&
    current.max_bytes === wanted.max_bytes &&
    current.max_msgs === wanted.max_msgs &&
    current.duplicate_window === wanted.duplicate_window &&
    current.num_replicas === wanted.num_replicas &&
    (wanted.description === undefined || current.description === wanted.description)
  );
}

function consumerMatches(
  current: ConsumerConfig,
  wanted: Partial<ConsumerConfig>,
  filters: string[],
): boolean {
  const currentFilters =
    current.filter_subjects && current.filter_subjects.length > 0
      ? current.filter_subjects
      : current.filter_subject
        ? [current.filter_subject]
        : [];
  return (
    sameSet(currentFilters, filters) &&
    current.ack_wait === wanted.ack_wait &&
    current.max_ack_pending === wanted.max_ack_pending &&
    current.max_deliver === wanted.max_deliver &&
    (wanted.description === undefined || current.description === wanted.description)
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((item) => left.has(item));
}

/**
 * Deletes every stream, key-value bucket and object store of a namespace (`Namespace.ownsStream`),
 * as a test or a benchmark leaves its namespace; returns the names deleted. Refuses the root
 * namespace, whose streams are the platform's.
 */
export async function deleteNamespaceStreams(jsm: JetStreamManager, namespace: Namespace): Promise<string[]> {
  if (namespace.isRoot) {
    throw new ParleyError(
      'internal',
      'The root namespace holds the platform streams; they are never deleted',
    );
  }
  const owned: string[] = [];
  for await (const name of jsm.streams.names()) {
    if (namespace.ownsStream(name)) {
      owned.push(name);
    }
  }
  const deleted: string[] = [];
  for (const name of owned) {
    try {
      await jsm.streams.delete(name);
      deleted.push(name);
    } catch (error) {
      // Deleted meanwhile by someone else is as good as deleted here.
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) {
        throw error;
      }
    }
  }
  return deleted;
}
