import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { ParleyError } from '@parley/contracts';
import { NATS_CONNECTION } from './connection.js';
import { reasonOf } from './error-details.js';

/** Readiness of the NATS connection, for probes: `check()` throws while it cannot be used. */
@Injectable()
export class NatsHealth {
  constructor(@Inject(NATS_CONNECTION) private readonly connection: NatsConnection) {}

  /** Resolves when the server answers a ping within `timeoutMs`; throws `unavailable` otherwise. */
  async check(timeoutMs = 2000): Promise<void> {
    if (this.connection.isClosed()) {
      throw new ParleyError('unavailable', 'NATS connection is closed');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ParleyError('unavailable', 'NATS did not answer a ping')),
        timeoutMs,
      );
    });
    try {
      // rtt() rejects at once while disconnected, and waits for the server's PONG otherwise.
      await Promise.race([this.connection.rtt(), timeout]);
    } catch (error) {
      if (error instanceof ParleyError) {
        throw error;
      }
      throw new ParleyError('unavailable', 'NATS connection is not available', {
        reason: reasonOf(error),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
