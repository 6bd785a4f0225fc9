import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ParleyError } from '@parley/contracts';
import { createDataSource, type DataSourceSettings } from './data-source.js';
import { PgIdempotencyStore } from './idempotency-store.js';
import { OutboxWriter } from './outbox-writer.js';

export type DbModuleOptions = DataSourceSettings;

/** Injection token of the options given to `DbModule.forRoot`. */
export const DB_OPTIONS = Symbol('DB_OPTIONS');

export interface DbModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => DbModuleOptions | Promise<DbModuleOptions>;
}

/** Readiness of the database, for probes: `check()` throws while it cannot be used. */
@Injectable()
export class DbHealth {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Resolves when `select 1` answers within `timeoutMs`; throws `unavailable` otherwise. */
  async check(timeoutMs = 2000): Promise<void> {
    if (!this.dataSource.isInitialized) {
      throw new ParleyError('unavailable', 'The database connection pool is closed');
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ParleyError('unavailable', 'The database did not answer in time')),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } catch (error) {
      if (error instanceof ParleyError) {
        throw error;
      }
      throw new ParleyError('unavailable', 'The database is not available', {
        reason: error instanceof Error ? error.message : String(error),
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Closes the pool when the application shuts down. */
@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) {
      await this.dataSource.destroy();
    }
  }
}

async function openDataSource(options: DbModuleOptions): Promise<DataSource> {
  return createDataSource(options).initialize();
}

const shared = [
  DbHealth,
  DataSourceCloser,
  { provide: DataSource, inject: [DB_OPTIONS], useFactory: openDataSource },
  {
    provide: OutboxWriter,
    inject: [DB_OPTIONS],
    useFactory: (options: DbModuleOptions) => new OutboxWriter(options.schema),
  },
  {
    provide: PgIdempotencyStore,
    inject: [DB_OPTIONS],
    useFactory: (options: DbModuleOptions) => new PgIdempotencyStore(options.schema),
  },
];
const exported = [DB_OPTIONS, DataSource, DbHealth, OutboxWriter, PgIdempotencyStore];

/**
 * The service's database, available everywhere: the TypeORM `DataSource`, `DbHealth`,
 * `OutboxWriter` and `PgIdempotencyStore` for its schema. The pool closes on shutdown.
 */
@Global()
@Module({})
export class DbModule {
  static forRoot(options: DbModuleOptions): DynamicModule {
    return {
      module: DbModule,
      providers: [{ provide: DB_OPTIONS, useValue: options }, ...shared],
      exports: exported,
    };
  }

  static forRootAsync(options: DbModuleAsyncOptions): DynamicModule {
    return {
      module: DbModule,
      imports: options.imports ?? [],
      providers: [
        { provide: DB_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        ...shared,
      ],
      exports: exported,
    };
  }
}
