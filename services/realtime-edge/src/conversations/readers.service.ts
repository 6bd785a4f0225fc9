import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { KV } from '@nats-io/kv';
import { conversationReaders } from '@parley/contracts';
import { createLogger } from '@parley/logging';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';

/**
 * Who is reading which conversation (`conversation:focus` / `conversation:blur`), for the
 * notification service, in its `conversationReaders` bucket: a key per tenant, conversation and
 * user while a socket of this instance shows the conversation, refreshed well within the bucket's
 * TTL, removed when the last such socket blurs it or goes.
 */
@Injectable()
export class ReadersService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = createLogger(ReadersService.name);
  /** Sockets of this instance showing each key. */
  private readonly readers = new Map<string, Set<EdgeSocket>>();
  /** Writes under way, finished before the NATS connection closes. */
  private readonly writing = new Set<Promise<unknown>>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly kv: KV) {}

  onApplicationBootstrap(): void {
    this.heartbeat ??= setInterval(() => this.refreshAll(), Math.floor(conversationReaders.ttlMs / 3));
    this.heartbeat.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await Promise.allSettled([...this.writing]);
  }

  /** The socket shows the conversation; answers whether the user is now a reader. */
  async focus(socket: EdgeSocket, conversationId: string): Promise<boolean> {
    const session = sessionOf(socket);
    const key = keyOf(socket, conversationId);
    session.focused.add(conversationId);
    let sockets = this.readers.get(key);
    if (sockets === undefined) {
      sockets = new Set();
      this.readers.set(key, sockets);
    }
    sockets.add(socket);
    await this.tracked(this.kv.put(key, new Date().toISOString()));
    return true;
  }

  /** The socket no longer shows the conversation; answers whether the user still reads it here. */
  async blur(socket: EdgeSocket, conversationId: string): Promise<boolean> {
    socket.data.focused.delete(conversationId);
    const key = keyOf(socket, conversationId);
    const sockets = this.readers.get(key);
    if (sockets === undefined) {
      return false;
    }
    sockets.delete(socket);
    if (sockets.size > 0) {
      return true;
    }
    this.readers.delete(key);
    await this.tracked(this.kv.delete(key));
    return false;
  }

  /** Everything a disconnected socket showed. */
  async blurAll(socket: EdgeSocket): Promise<void> {
    await Promise.all([...socket.data.focused].map((conversationId) => this.blur(socket, conversationId)));
  }

  private async tracked<T>(write: Promise<T>): Promise<T> {
    this.writing.add(write);
    try {
      return await write;
    } finally {
      this.writing.delete(write);
    }
  }

  private refreshAll(): void {
    const now = new Date().toISOString();
    for (const key of this.readers.keys()) {
      this.kv.put(key, now).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Refreshing a conversation reader failed');
      });
    }
  }
}

function keyOf(socket: EdgeSocket, conversationId: string): string {
  const { tenantId, userId } = socket.data.principal;
  return conversationReaders.key(tenantId, conversationId, userId);
}
