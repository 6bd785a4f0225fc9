import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { conversationEvents, eventFilter, eventStreamName } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { EventConsumer, type ConsumedEvent, type ConsumerHandle } from '@parley/nats';
import { FOLLOW_RETRY, type FollowRetry } from '../file.options.js';
import { MessageAttachments } from './message-attachments.service.js';

/** The durable consumer of conversation's `message.created` events, shared by every instance. */
export const messageCreatedDurable = 'file-conversation-message-created';

/**
 * Follows the conversation service's published messages and records their attachments. A new
 * durable consumer starts at the first message the stream still holds, so messages published
 * before the file service first followed them are recorded too.
 *
 * The conversation service creates its stream when it starts, which may be after this service.
 * Until the stream exists, starting the consumer is retried in the background with growing delays
 * (FOLLOW_RETRY), so uploads and downloads are served meanwhile and nothing published later is
 * missed. Started by BootstrapService; stopped before the application shuts down.
 */
@Injectable()
export class ConversationEventsConsumer implements BeforeApplicationShutdown {
  private readonly logger = createLogger(ConversationEventsConsumer.name);
  private readonly stopping = new AbortController();
  private following: Promise<void> | undefined;
  private running: ConsumerHandle | undefined;

  constructor(
    private readonly consumer: EventConsumer,
    private readonly attachments: MessageAttachments,
    @Inject(FOLLOW_RETRY) private readonly retry: FollowRetry,
  ) {}

  /** Records the attachments a published message names. */
  async handle(event: Pick<ConsumedEvent, 'tenantId' | 'payload'>): Promise<void> {
    const { message } = conversationEvents.messageCreated.payload.parse(event.payload);
    await this.attachments.record(event.tenantId, message);
  }

  /** Starts following in the background and returns at once. */
  start(): void {
    this.following ??= this.follow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.following;
    // EventConsumer stops its consumers too; stopping twice is harmless, and this one may have
    // started after EventConsumer's own shutdown began.
    await this.running?.stop();
  }

  private async follow(): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt += 1) {
      try {
        this.running = await this.consumer.consume({
          stream: eventStreamName('conversation'),
          durable: messageCreatedDurable,
          filterSubjects: [eventFilter('conversation', conversationEvents.messageCreated.type)],
          contract: conversationEvents.messageCreated,
          consumerService: 'file',
          handler: (event) => this.handle(event),
        });
        this.logger.info({ durable: messageCreatedDurable }, 'Following published messages');
        return;
      } catch (error) {
        const retryInMs = Math.min(this.retry.initialMs * 2 ** (attempt - 1), this.retry.maxMs);
        if (isStreamNotFound(error)) {
          this.logger.info({ attempt, retryInMs }, 'The conversation event stream does not exist yet');
        } else {
          this.logger.warn({ attempt, retryInMs, err: error }, 'Could not follow published messages');
        }
        await sleep(retryInMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}
