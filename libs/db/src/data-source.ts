import { DataSource, type DataSourceOptions } from 'typeorm';
import { checkIdentifier } from './sql-names.js';
import { isoTimestampTypes } from './timestamps.js';

export interface DataSourceSettings {
  /** The service's own login (`DATABASE_URL`), never the admin one. */
  url: string;
  schema: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  /** Connections in the pool; pg's default (10) when omitted. */
  poolSize?: number;
  /**
   * Read timestamptz values as ISO 8601 text in UTC (`isoTimestamp`) rather than as Dates: for a
   * service whose queries are plain SQL and whose timestamps go straight into JSON. Not for
   * TypeORM entities, whose Date columns expect Dates.
   */
  timestampsAsText?: boolean;
}

/**
 * A TypeORM data source for a service's schema. The SQL migrations are the only source of the
 * schema: no synchronize, no migrations of TypeORM's own, no extensions installed. Every session
 * runs in UTC with the service schema first on its search_path.
 */
export function createDataSource(settings: DataSourceSettings): DataSource {
  const schema = checkIdentifier('schema', settings.schema);
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    schema,
    entities: settings.entities,
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    installExtensions: false,
    ...(settings.poolSize === undefined ? {} : { poolSize: settings.poolSize }),
    extra: {
      options: `-c TimeZone=UTC -c search_path=${schema}`,
      ...(settings.timestampsAsText === true ? { types: isoTimestampTypes } : {}),
    },
  });
}
