import { Injectable } from '@nestjs/common';
import { fileProcessing, validationError } from '@parley/contracts';
import { EventConsumer, type ConsumedEvent, type ConsumerHandle } from '@parley/nats';
import { ProcessingService } from './processing.service.js';

/**
 * The worker of the processing queue. Every instance of the service pulls from the same durable
 * consumer, one job at a time; a job whose processing fails is retried with backoff and, after
 * `maxDeliver` attempts, recorded as a dead letter. Started by BootstrapService once the queue's
 * stream exists.
 */
@Injectable()
export class ProcessingConsumer {
  private running: ConsumerHandle | undefined;

  constructor(
    private readonly consumer: EventConsumer,
    private readonly processing: ProcessingService,
  ) {}

  /** Processes the file a job names; a job that names none fails (and ends as a dead letter). */
  async handle(event: Pick<ConsumedEvent, 'payload'>): Promise<void> {
    const job = fileProcessing.job.payload.safeParse(event.payload);
    if (!job.success) {
      throw validationError('processing job', job.error);
    }
    await this.processing.process(job.data.fileId);
  }

  async start(): Promise<void> {
    this.running ??= await this.consumer.consume({
      stream: fileProcessing.stream,
      durable: fileProcessing.durable,
      filterSubjects: [fileProcessing.subject],
      consumerService: 'file',
      handler: (event) => this.handle(event),
      maxDeliver: 5,
      backoff: { initialMs: 1000, maxMs: 30_000 },
      // Reading a large file from storage takes a while; the runner keeps the job alive meanwhile.
      ackWaitMs: 60_000,
      prefetch: 1,
    });
  }
}
