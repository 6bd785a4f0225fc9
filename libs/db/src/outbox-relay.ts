import pg from 'pg';
import type { Logger } from 'pino';
import { createLogger } from '@parley/logging';
import { Gauge, type Registry } from 'prom-client';
import { checkIdentifier, quoteIdentifier } from './sql-names.js';

/**
 * Where the relay sends events. `@parley/nats`'s `EventPublisher` has exactly this shape: it
 * resolves once JetStream stored the message and uses `msgId` for de-duplication.
 */
export interface OutboxPublisher {
  publish(
    subject: string,
    payload: unknown,
    options: { msgId: string; headers?: Record<string, string> },
  ): Promise<void>;
}

export interface OutboxRelayOptions {
  /** The service login's URL or pg client settings; the relay keeps one dedicated connection. */
  connection: string | pg.ClientConfig;
  schema: string;
  publisher: OutboxPublisher;
  /** Rows read and published per round. */
  batchSize?: number;
  /** Fallback when no notification arrives (one can be lost, e.g. across a reconnect). */
  pollIntervalMs?: number;
  /** How often a standby relay tries to become the active one. */
  standbyIntervalMs?: number;
  /** First wait after a failed publish or a lost connection; doubles up to `retryMaxMs`. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Published rows older than this are deleted. */
  retentionMs?: number;
  /** How often the active relay deletes old published rows. */
  cleanupIntervalMs?: number;
  logger?: Logger;
  /**
   * Called after each round of the active relay with the age of the oldest unpublished event as
   * the round read it; 0 after a round that published everything it found waiting.
   */
  onLag?: (oldestUnpublishedAgeMs: number) => void;
  /** Registers `parley_outbox_lag_seconds{schema}` there. */
  registry?: Registry;
}

export type OutboxRelayState = 'stopped' | 'connecting' | 'standby' | 'active';

// Advisory lock namespace of relays (see migrationLockNamespace for the runner's).
export const relayLockNamespace = 0x70a7_0002;

interface OutboxRow {
  id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
}

type Round = 'idle' | 'more' | 'failed';

/**
 * Publishes the schema's outbox in id order. Any number of relays may run (one per pod); the one
 * holding the schema's advisory lock on its own connection publishes, the others stand by and
 * take over when its session ends. A round publishes its rows together, in id order; a failure
 * ends the round and the failed row is retried with capped backoff. Events are stored in id order,
 * except that rows already on their way when an earlier one failed are stored before its retry. A crash between publish and marking
 * republishes with the same msgId, which JetStream drops as a duplicate.
 */
export class OutboxRelay {
  private readonly schema: string;
  private readonly table: string;
  private readonly channel: string;
  private readonly logger: Logger;
  private readonly settings: Required<
    Pick<
      OutboxRelayOptions,
      | 'batchSize'
      | 'pollIntervalMs'
      | 'standbyIntervalMs'
      | 'retryInitialMs'
      | 'retryMaxMs'
      | 'retentionMs'
      | 'cleanupIntervalMs'
    >
  >;
  private readonly gauge: Gauge | undefined;
  private client: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private currentState: OutboxRelayState = 'stopped';
  private connectionLost: Error | undefined;
  private notified = false;
  private waiting: { finish: () => void; onNotify: boolean } | undefined;
  private lastCleanup = 0;
  private lag = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.schema = checkIdentifier('schema', options.schema);
    this.table = `${quoteIdentifier(this.schema)}.outbox_events`;
    this.channel = quoteIdentifier(`${this.schema}_outbox_events`);
    this.logger = (options.logger?.child({ context: 'OutboxRelay' }) ?? createLogger('OutboxRelay')).child({
      schema: this.schema,
    });
    this.settings = {
      batchSize: options.batchSize ?? 100,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      standbyIntervalMs: options.standbyIntervalMs ?? 2000,
      retryInitialMs: options.retryInitialMs ?? 200,
      retryMaxMs: options.retryMaxMs ?? 30_000,
      retentionMs: options.retentionMs ?? 24 * 60 * 60 * 1000,
      cleanupIntervalMs: options.cleanupIntervalMs ?? 60_000,
    };
    this.gauge = options.registry === undefined ? undefined : lagGauge(options.registry);
  }

  get state(): OutboxRelayState {
    return this.currentState;
  }

  /** Age in ms of the oldest unpublished event after the last active round (see `onLag`). */
  get lagMs(): number {
    return this.lag;
  }

  /** Starts relaying in the background; returns at once. */
  start(): void {
    if (this.loop !== undefined) {
      return;
    }
    this.stopping = false;
    this.loop = this.run();
  }

  /** Finishes the publish in flight, releases the lock and closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.waiting?.finish();
    await this.loop;
    this.loop = undefined;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  private async run(): Promise<void> {
    let retry = this.settings.retryInitialMs;
    while (!this.stopping) {
      this.currentState = 'connecting';
      try {
        await this.connect();
        retry = this.settings.retryInitialMs;
        await this.serve();
      } catch (error) {
        if (!this.stopping) {
          this.logger.error({ err: error, retryInMs: retry }, 'outbox relay connection failed');
        }
      }
      await this.disconnect();
      if (!this.stopping) {
        await this.sleep(retry, false);
        retry = Math.min(retry * 2, this.settings.retryMaxMs);
      }
    }
    this.currentState = 'stopped';
  }

  private async connect(): Promise<void> {
    const base =
      typeof this.options.connection === 'string'
        ? { connectionString: this.options.connection }
        : this.options.connection;
    const client = new pg.Client({
      ...base,
      options: '-c TimeZone=UTC',
      application_name: `outbox-relay-${this.schema}`,
    });
    this.connectionLost = undefined;
    client.on('error', (error) => {
      // The session is gone, and the lock with it: go back to connecting.
      this.connectionLost = error;
      this.waiting?.finish();
    });
    client.on('notification', () => {
      this.notified = true;
      if (this.waiting?.onNotify === true) {
        this.waiting.finish();
      }
    });
    this.client = client;
    await client.connect();
  }

  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    // Ending the session releases the advisory lock and the LISTEN.
    await client.end().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'closing the relay connection failed');
    });
  }

  /** Stands by until it holds the lock, then relays until stopped or disconnected. */
  private async serve(): Promise<void> {
    const client = this.requireClient();
    this.currentState = 'standby';
    while (!(await this.tryLock(client))) {
      await this.sleep(this.settings.standbyIntervalMs, false);
      this.throwIfLost();
      if (this.stopping) {
        return;
      }
    }
    await client.query(`LISTEN ${this.channel}`);
    this.currentState = 'active';
    this.logger.info('outbox relay active');
    let retry = this.settings.retryInitialMs;
    while (!this.stopping) {
      this.notified = false;
      const round = await this.publishRound(client);
      this.throwIfLost();
      if (round === 'more') {
        retry = this.settings.retryInitialMs;
        continue;
      }
      if (round === 'failed') {
        // Notifications do not cut this short: the backoff protects the broker.
        await this.sleep(retry, false);
        retry = Math.min(retry * 2, this.settings.retryMaxMs);
        continue;
      }
      retry = this.settings.retryInitialMs;
      await this.cleanup(client);
      await this.sleep(this.settings.pollIntervalMs, true);
      this.throwIfLost();
    }
  }

  private async tryLock(client: pg.Client): Promise<boolean> {
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_catalog.pg_try_advisory_lock($1, pg_catalog.hashtext($2)) AS locked',
      [relayLockNamespace, this.schema],
    );
    return result.rows[0]?.locked === true;
  }

  private async publishRound(client: pg.Client): Promise<Round> {
    // The rows carry their age, from which the round tells the relay's lag.
    const result = await client.query<OutboxRow & { age_ms: number }>(
      `SELECT id, subject, payload, headers,
              (EXTRACT(epoch FROM pg_catalog.clock_timestamp() - created_at) * 1000)::float8 AS age_ms
       FROM ${this.table} WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [this.settings.batchSize],
    );
    const readAt = performance.now();
    // The rows of a round go out together, in id order on one connection, so JetStream stores
    // them in that order, and the round waits for their acknowledgements at once instead of one
    // after the other. The rows before the first failure are marked published; the failed row and
    // every row after it are sent again next round, and JetStream drops by msgId the copies it
    // stored already. So a failure is the one case where later rows may be stored before an
    // earlier one: they were on their way when it failed.
    const rows = this.stopping ? [] : result.rows;
    const outcomes = await Promise.allSettled(
      rows.map((row) =>
        this.options.publisher.publish(row.subject, row.payload, { msgId: row.id, headers: row.headers }),
      ),
    );
    const failure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    const published = (failure === -1 ? rows : rows.slice(0, failure)).map((row) => row.id);
    const failed = failure !== -1;
    if (failed) {
      const row = rows[failure]!;
      this.logger.warn(
        {
          err: (outcomes[failure] as PromiseRejectedResult).reason as unknown,
          eventId: row.id,
          subject: row.subject,
        },
        'publishing an outbox event failed; will retry',
      );
    }
    if (published.length > 0) {
      await client.query(
        `UPDATE ${this.table} SET published_at = pg_catalog.now() WHERE id = ANY($1::uuid[])`,
        [published],
      );
    }
    const round: Round = failed
      ? 'failed'
      : result.rows.length === this.settings.batchSize && !this.stopping
        ? 'more'
        : 'idle';
    if (!this.stopping) {
      // After an idle round, what waits was written after it began. After a failed one, the
      // failed row is the oldest waiting; after a full one, the oldest waiting came after the last
      // row read, so that row's age bounds it. Either is older by the time the round took.
      const waiting = failed ? rows[failure] : result.rows.at(-1);
      this.reportLag(
        round === 'idle' || waiting === undefined ? 0 : waiting.age_ms + (performance.now() - readAt),
      );
    }
    return round;
  }

  private async cleanup(client: pg.Client): Promise<void> {
    const now = Date.now();
    if (now - this.lastCleanup < this.settings.cleanupIntervalMs) {
      return;
    }
    this.lastCleanup = now;
    const result = await client.query(
      `DELETE FROM ${this.table} WHERE published_at < pg_catalog.now() - pg_catalog.make_interval(secs => $1)`,
      [this.settings.retentionMs / 1000],
    );
    if ((result.rowCount ?? 0) > 0) {
      this.logger.debug({ deleted: result.rowCount }, 'deleted published outbox events past retention');
    }
  }

  private reportLag(ageMs: number): void {
    this.lag = Math.max(0, ageMs);
    this.gauge?.set({ schema: this.schema }, this.lag / 1000);
    this.options.onLag?.(this.lag);
  }

  private requireClient(): pg.Client {
    if (this.client === undefined) {
      throw new Error('The outbox relay has no connection');
    }
    return this.client;
  }

  private throwIfLost(): void {
    if (this.connectionLost !== undefined) {
      throw this.connectionLost;
    }
  }

  /** Waits `ms`, or less when stopped, disconnected or (if `onNotify`) notified. */
  private sleep(ms: number, onNotify: boolean): Promise<void> {
    if (this.stopping || this.connectionLost !== undefined || (onNotify && this.notified)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.waiting = { finish, onNotify };
    });
  }
}

function lagGauge(registry: Registry): Gauge {
  const name = 'parley_outbox_lag_seconds';
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) {
    return existing;
  }
  return new Gauge({
    name,
    help: 'Age of the oldest event in the outbox that is not published yet',
    labelNames: ['schema'],
    registers: [registry],
  });
}
