import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { fileProcessing, ParleyError } from '@parley/contracts';
import {
  Namespace,
  NATS_CONNECTION,
  provisionDeadLetterStream,
  provisionServiceEventStream,
} from '@parley/nats';
import { ConversationEventsConsumer } from './attachments/conversation-events.consumer.js';
import { FILE_OPTIONS, type FileOptions } from './file.options.js';
import { ProcessingConsumer } from './processing/processing.consumer.js';
import { RetentionService } from './retention/retention.service.js';

/**
 * At start-up: the streams the service writes to exist (its events, the processing queue, the
 * dead letters), then the processing worker and the retention job start, and the service begins
 * following conversation's published messages (in the background: their stream may not exist
 * yet). Idempotent, so any number of instances may start at once.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
    @Inject(FILE_OPTIONS) private readonly options: FileOptions,
    private readonly processing: ProcessingConsumer,
    private readonly retention: RetentionService,
    private readonly conversationEvents: ConversationEventsConsumer,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats);
    // The outbox relay publishes events and processing jobs; both streams must exist first.
    await provisionServiceEventStream(jsm, this.namespace, 'file');
    await provisionDeadLetterStream(jsm, this.namespace);
    await provisionProcessingQueue(jsm, this.namespace, this.options.replicas);
    await this.processing.start();
    this.retention.start();
    this.conversationEvents.start();
  }
}

// JetStream's answer when a stream of that name was created meanwhile.
const streamNameInUse = 10058;

/**
 * The processing queue: a work-queue stream (a job is gone once acknowledged), on file storage,
 * replicated like the object store bucket. Created when missing; an existing stream of another
 * retention is a deployment mistake and stops the start.
 */
export async function provisionProcessingQueue(
  jsm: JetStreamManager,
  namespace: Namespace,
  replicas: number,
): Promise<void> {
  const name = namespace.stream(fileProcessing.stream);
  const existing = await jsm.streams.info(name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return undefined;
    }
    throw error;
  });
  if (existing !== undefined) {
    if (existing.config.retention !== RetentionPolicy.Workqueue) {
      throw new ParleyError('conflict', `Stream ${name} exists and is not a work queue`);
    }
    return;
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [namespace.subject(fileProcessing.subject)],
      description: 'Uploads waiting to be processed by the file service',
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
      duplicate_window: nanos(2 * 60 * 1000),
    });
  } catch (error) {
    // Another instance created it between our look and our add.
    if (!(error instanceof JetStreamApiError && error.code === streamNameInUse)) {
      throw error;
    }
  }
}
