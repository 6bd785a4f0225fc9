import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { ParleyError } from '@parley/contracts';

/** A statement worth preparing: run often, with a name unique within the service. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/**
 * Runs a named statement on a connection of the data source's pool, outside any transaction (a
 * statement is its own). Each connection parses and plans it once and afterwards only binds and
 * executes it: for a hot statement, that is most of the database's work saved.
 */
export async function runPrepared<R extends pg.QueryResultRow>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: unknown[],
): Promise<R[]> {
  const result = await poolOf(dataSource).query<R>({ name: statement.name, text: statement.text, values });
  return result.rows;
}

function poolOf(dataSource: DataSource): pg.Pool {
  const pool: unknown = (dataSource.driver as { master?: unknown }).master;
  if (typeof pool !== 'object' || pool === null || !('query' in pool)) {
    throw new ParleyError('internal', 'Prepared statements need an initialized PostgreSQL data source');
  }
  return pool as pg.Pool;
}
