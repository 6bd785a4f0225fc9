import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { createLogger } from '@parley/logging';
import { Metrics } from '@parley/observability';
import type { Counter } from 'prom-client';
import { DirectoryRepository } from '../directory/directory.repository.js';
import {
  CLOCK,
  NOTIFICATION_OPTIONS,
  type Clock,
  type EmailOptions,
  type NotificationOptions,
} from '../notification.options.js';
import { DeliveriesRepository, type ClaimedDelivery } from './deliveries.repository.js';
import { renderEmail } from './email-templates.js';
import { Mailer } from './mailer.js';

/** Recipients handled per round. */
const recipientsPerRound = 20;

/** What became of one recipient's due deliveries. */
export type SendOutcome = 'none' | 'sent' | 'skipped' | 'failed' | 'dead_lettered';

/** The wait after the `attempt`-th failure: doubling from the initial wait, capped. */
export function retryDelayMs(
  email: Pick<EmailOptions, 'retryInitialMs' | 'retryMaxMs'>,
  attempt: number,
): number {
  return Math.min(email.retryInitialMs * 2 ** Math.max(0, attempt - 1), email.retryMaxMs);
}

/**
 * Sends the due email deliveries, one recipient at a time: their due deliveries are locked
 * (SKIP LOCKED, so two instances never send the same one), still-unread notifications go out in
 * one email (a digest when there are several), and the outcome is written in the same
 * transaction: sent, or failed with the next attempt after a capped backoff, or dead-lettered
 * after the last attempt. Notifications read in the meantime are skipped: the inbox did its job.
 * An email is sent at most once per successful commit; only a crash between the server's
 * acceptance and the commit sends it again, with the same Message-ID.
 */
@Injectable()
export class EmailSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(EmailSender.name);
  private readonly outcomes: Counter<'outcome'>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly deliveries: DeliveriesRepository,
    private readonly directory: DirectoryRepository,
    private readonly mailer: Mailer,
    @Inject(NOTIFICATION_OPTIONS) private readonly options: NotificationOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter({
      name: 'parley_notification_emails_total',
      help: 'Email attempts by outcome (sent, skipped, failed, dead_lettered)',
      labelNames: ['outcome'],
    });
  }

  onApplicationBootstrap(): void {
    const email = this.options.email;
    if (email !== undefined) {
      this.timer = setInterval(() => this.kick(), email.pollIntervalMs);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Sends what is due now, unless a run is already going. */
  kick(): void {
    this.running ??= this.drain()
      .catch((error: unknown) => this.logger.error({ err: error }, 'Sending emails failed; will retry'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Rounds of due recipients until none is left (or none could be taken: another instance has them). */
  async drain(): Promise<void> {
    while (!this.stopping) {
      const due = await this.deliveries.dueRecipients(
        this.dataSource.manager,
        this.clock(),
        recipientsPerRound,
      );
      let progressed = 0;
      for (const recipientId of due) {
        if ((await this.sendTo(recipientId)) !== 'none') {
          progressed += 1;
        }
      }
      if (progressed === 0 || due.length < recipientsPerRound) {
        return;
      }
    }
  }

  /** One attempt for one recipient's due deliveries, in one transaction. */
  sendTo(recipientId: string): Promise<SendOutcome> {
    const email = this.options.email;
    if (email === undefined) {
      return Promise.resolve('none');
    }
    return this.dataSource.transaction(async (manager) => {
      const now = this.clock();
      const claimed = await this.deliveries.claimDue(manager, recipientId, now);
      if (claimed.length === 0) {
        return 'none';
      }
      const unread = claimed.filter((delivery) => delivery.notification.status === 'new');
      const read = claimed.filter((delivery) => delivery.notification.status !== 'new');
      await this.deliveries.markSkipped(
        manager,
        read.map((delivery) => delivery.delivery_id),
        'Read in the inbox before the email was due',
      );
      const outcome =
        unread.length === 0 ? 'skipped' : await this.attempt(manager, email, recipientId, unread, now);
      this.outcomes.inc({ outcome });
      return outcome;
    });
  }

  private async attempt(
    manager: EntityManager,
    email: EmailOptions,
    recipientId: string,
    unread: readonly ClaimedDelivery[],
    now: Date,
  ): Promise<SendOutcome> {
    const ids = unread.map((delivery) => delivery.delivery_id);
    // The first delivery names the email: an attempt at the same deliveries has the same Message-ID.
    const digestId = ids[0] as string;
    const reader = (await this.directory.findUsers(manager, [recipientId])).get(recipientId);
    if (reader !== undefined && reader.status !== 'active') {
      await this.deliveries.markSkipped(manager, ids, `The recipient is ${reader.status}`);
      return 'skipped';
    }
    try {
      if (reader === undefined) {
        // Identity's user.created has not reached this service yet: try again later.
        throw new Error('The recipient is not known yet');
      }
      const content = renderEmail(
        { fullName: reader.full_name },
        unread.map((delivery) => delivery.notification),
        email.appUrl,
      );
      await this.mailer.send(email, {
        ...content,
        to: reader.email,
        messageId: `<${digestId}@parley.notification>`,
      });
    } catch (error) {
      const attempt = Math.max(...unread.map((delivery) => delivery.attempts)) + 1;
      const reason = error instanceof Error ? error.message : String(error);
      const permanent = refusedForGood(error);
      const dead = await this.deliveries.markFailed(manager, ids, {
        error: reason,
        retryAt: new Date(now.getTime() + retryDelayMs(email, attempt)),
        // A recipient or message the server refused for good is refused again: no retries.
        maxAttempts: permanent ? 0 : email.maxAttempts,
        digestId,
      });
      if (dead > 0) {
        this.logger.error(
          { recipientId, deliveries: ids, attempts: attempt, reason, permanent },
          'Email dead-lettered',
        );
        return 'dead_lettered';
      }
      this.logger.warn(
        { recipientId, deliveries: ids, attempts: attempt, reason },
        'Email failed; will retry',
      );
      return 'failed';
    }
    await this.deliveries.markSent(manager, ids, digestId, this.clock());
    return 'sent';
  }
}

/**
 * Whether the SMTP server refused the recipient or the message for good: a 5xx reply to RCPT TO
 * or DATA (no such mailbox, message refused). Everything else is tried again until the last
 * attempt: network failures, timeouts, 4xx replies, 5xx replies to other commands (a sender
 * address or a login the operator has to fix), and security or policy refusals (enhanced status
 * 5.7.x, such as "relay access denied"), which are as likely the operator's to fix.
 */
export function refusedForGood(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) {
    return false;
  }
  const { responseCode, command, response } = error as {
    responseCode?: unknown;
    command?: unknown;
    response?: unknown;
  };
  return (
    typeof responseCode === 'number' &&
    responseCode >= 500 &&
    responseCode < 600 &&
    (command === 'RCPT TO' || command === 'DATA') &&
    !(typeof response === 'string' && /^\d{3}[ -]5\.7\.\d{1,3}\b/.test(response))
  );
}
