import type { StorageDriverKind } from '../file.options.js';
import type { StorageDriver } from './storage-driver.js';

/**
 * Every configured driver, by kind. New uploads go to the configured one; a file is always read and
 * removed through the driver that wrote it (its row says which), so changing the setting never
 * strands the files stored before.
 */
export class StorageDrivers {
  private readonly byKind: ReadonlyMap<StorageDriverKind, StorageDriver>;

  constructor(
    drivers: readonly StorageDriver[],
    private readonly uploadKind: StorageDriverKind,
  ) {
    this.byKind = new Map(drivers.map((driver) => [driver.kind, driver]));
    this.of(uploadKind);
  }

  /** The driver new uploads are written with. */
  get forUploads(): StorageDriver {
    return this.of(this.uploadKind);
  }

  of(kind: StorageDriverKind): StorageDriver {
    const driver = this.byKind.get(kind);
    if (driver === undefined) {
      throw new Error(`The ${kind} storage driver is not configured`);
    }
    return driver;
  }
}
