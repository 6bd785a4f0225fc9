import { Inject, Injectable } from '@nestjs/common';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  headerNames,
  parseEventSubject,
  ParleyError,
  validationError,
  type EventContract,
  type PayloadOf,
} from '@parley/contracts';
import { NATS_CONNECTION } from './connection.js';
import { parleyErrorFrom, reasonOf } from './error-details.js';
import { outgoingHeaders } from './message-headers.js';
import { Namespace } from './namespace.js';

export interface PublishOptions {
  /** The event id: JetStream drops a second publish with the same id within the duplicate window. */
  msgId: string;
  /** Headers that win over those taken from the subject and the request context. */
  headers?: Record<string, string>;
  /** How long to wait for JetStream to store the message. */
  timeoutMs?: number;
}

/**
 * Publishes to JetStream and returns only once the stream has stored the message (or recognised
 * it as a duplicate of one it stored). The outbox relay of every service publishes through this.
 */
@Injectable()
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(
    @Inject(NATS_CONNECTION) connection: NatsConnection,
    private readonly namespace: Namespace,
  ) {
    this.js = jetstream(connection);
  }

  /**
   * `subject` is canonical (the namespace is applied here). The tenant header comes from, in
   * order: `options.headers`, the event subject, the request context; correlation and actor from
   * `options.headers`, then the request context.
   */
  async publish(subject: string, payload: unknown, options: PublishOptions): Promise<void> {
    if (options.msgId === '') {
      throw new ParleyError('validation_failed', 'An event needs a message id');
    }
    const event = parseEventSubject(subject);
    const headers = outgoingHeaders({
      ...(event ? { [headerNames.tenantId]: event.tenantId, [headerNames.eventType]: event.type } : {}),
      ...options.headers,
      [headerNames.messageId]: options.msgId,
    });
    let body: string;
    try {
      body = JSON.stringify(payload) ?? 'null';
    } catch (error) {
      throw new ParleyError('validation_failed', 'The event payload cannot be encoded as JSON', {
        reason: reasonOf(error),
      });
    }
    try {
      await this.js.publish(this.namespace.subject(subject), body, {
        msgID: options.msgId,
        headers,
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      });
    } catch (error) {
      throw parleyErrorFrom(error, 'unavailable', `JetStream did not store the event on ${subject}`);
    }
  }

  /** Publishes one event of a contract after checking its payload. */
  async publishEvent<C extends EventContract>(
    contract: C,
    tenantId: string,
    payload: PayloadOf<C>,
    msgId: string,
  ): Promise<void> {
    const checked = contract.payload.safeParse(payload);
    if (!checked.success) {
      throw validationError(`${contract.type} payload`, checked.error);
    }
    let subject: string;
    try {
      subject = contract.subject(tenantId);
    } catch (error) {
      throw new ParleyError('validation_failed', 'Invalid tenant id for an event subject', {
        reason: reasonOf(error),
      });
    }
    await this.publish(subject, checked.data, { msgId });
  }
}
