import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Kvm, KvWatchInclude, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import { conversationReaders } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { Namespace, NATS_CONNECTION } from '@parley/nats';

/**
 * Who is reading which conversation now, from the bucket the realtime edge writes
 * (`conversationReaders` of the contracts). The bucket is watched, not read per message: a
 * message to a group of thousands asks this map, not NATS, about each participant. An entry
 * counts while its last refresh is younger than the bucket's TTL (expired entries leave the bucket
 * without telling watchers).
 */
@Injectable()
export class ConversationReaders implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(ConversationReaders.name);
  /** Key → when it was last written (ms). */
  private readonly refreshedAt = new Map<string, number>();
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private running: Promise<void> | undefined;
  private pruning: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const first = await this.open();
    this.running = this.run(first);
    this.pruning = setInterval(() => this.prune(Date.now()), conversationReaders.ttlMs);
    this.pruning.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pruning);
    this.watcher?.stop();
    await this.running;
  }

  /** True while the user has the conversation open (the edge refreshed the key within the TTL). */
  isReading(tenantId: string, conversationId: string, userId: string, now: Date): boolean {
    const at = this.refreshedAt.get(conversationReaders.key(tenantId, conversationId, userId));
    return at !== undefined && now.getTime() - at < conversationReaders.ttlMs;
  }

  /** Opens (creating when missing) the bucket and watches every key from its current value on. */
  private async open(): Promise<QueuedIterator<KvWatchEntry>> {
    const kv = await new Kvm(this.nats).create(this.namespace.stream(conversationReaders.bucket), {
      ttl: conversationReaders.ttlMs,
      history: 1,
    });
    this.watcher = await kv.watch({ include: KvWatchInclude.LastValue });
    return this.watcher;
  }

  /** Follows the watch; when the connection drops it, watches again from the current values. */
  private async run(first: QueuedIterator<KvWatchEntry>): Promise<void> {
    let watcher: QueuedIterator<KvWatchEntry> | undefined = first;
    while (!this.stopping) {
      if (watcher !== undefined) {
        await this.follow(watcher);
      }
      if (this.stopping) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      watcher = this.stopping
        ? undefined
        : await this.open().catch((error: unknown) => {
            this.logger.error({ err: error }, 'Could not watch conversation readers again');
            return undefined;
          });
    }
  }

  private async follow(watcher: QueuedIterator<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watcher) {
        if (entry.operation === 'PUT') {
          this.refreshedAt.set(entry.key, entry.created.getTime());
        } else {
          this.refreshedAt.delete(entry.key);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'Watching conversation readers failed');
    }
  }

  private prune(now: number): void {
    for (const [key, at] of this.refreshedAt) {
      if (now - at >= conversationReaders.ttlMs) {
        this.refreshedAt.delete(key);
      }
    }
  }
}
