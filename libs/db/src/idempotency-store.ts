import type { EntityManager } from 'typeorm';
import { ParleyError } from '@parley/contracts';
import { checkIdentifier, quoteIdentifier } from './sql-names.js';

const maxLength = 255;

/**
 * Handler-level idempotency in the handler's own transaction: the claim commits with the
 * handler's writes or rolls back with them, so a message is either fully handled once or not at
 * all. (`@parley/nats` has a KV-based store for handlers without a database.)
 */
export class PgIdempotencyStore {
  private readonly table: string;

  constructor(schema: string) {
    this.table = `${quoteIdentifier(checkIdentifier('schema', schema))}.processed_messages`;
  }

  /**
   * True the first time `consumer` claims `messageId`, false ever after (once the first claim has
   * committed; a concurrent claim waits for it). Call it first in the handler's transaction and
   * skip the work when it returns false.
   */
  async claim(manager: EntityManager, consumer: string, messageId: string): Promise<boolean> {
    checkText('consumer', consumer);
    checkText('message id', messageId);
    const rows: unknown = await manager.query(
      `INSERT INTO ${this.table} (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1 AS claimed`,
      [consumer, messageId],
    );
    return Array.isArray(rows) && rows.length === 1;
  }

  /** Deletes records older than `olderThan`; returns how many. Run it periodically. */
  async prune(manager: EntityManager, olderThan: Date): Promise<number> {
    const result: unknown = await manager.query(`DELETE FROM ${this.table} WHERE created_at < $1`, [
      olderThan,
    ]);
    // TypeORM answers a DELETE with [rows, affected].
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}

function checkText(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new ParleyError('validation_failed', `The ${what} is 1 to ${maxLength} characters`, {
      [what]: value,
    });
  }
}
