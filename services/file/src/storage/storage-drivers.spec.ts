import type { StorageDriver } from './storage-driver.js';
import { StorageDrivers } from './storage-drivers.js';

const driver = (kind: StorageDriver['kind']): StorageDriver => ({
  kind,
  write: async () => undefined,
  read: async () => {
    throw new Error('not read here');
  },
  remove: async () => undefined,
});

describe('StorageDrivers', () => {
  it('writes uploads with the configured driver and finds every driver by kind', () => {
    const local = driver('local_filesystem');
    const store = driver('object_store');
    const drivers = new StorageDrivers([local, store], 'object_store');
    expect(drivers.forUploads).toBe(store);
    expect(drivers.of('local_filesystem')).toBe(local);
  });

  it('refuses to start without the driver uploads are configured for', () => {
    expect(() => new StorageDrivers([driver('local_filesystem')], 'object_store')).toThrow(
      'The object_store storage driver is not configured',
    );
  });
});
