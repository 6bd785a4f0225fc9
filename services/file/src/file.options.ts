/** Storage drivers, as the `storage_driver_enum` of the file schema names them. */
export const storageDrivers = ['local_filesystem', 'object_store'] as const;
export type StorageDriverKind = (typeof storageDrivers)[number];

/** The settings the file service's providers need, taken from the validated configuration. */
export interface FileOptions {
  /** The driver new uploads are written with. */
  driver: StorageDriverKind;
  /** Root directory of the local filesystem driver. */
  storagePath: string;
  /** Object store bucket (before the namespace is applied). */
  bucket: string;
  /** Replicas of the object store bucket and the processing queue, when created. */
  replicas: number;
  /** Base of signed download URLs, without a trailing slash. */
  publicUrl: string;
  downloadSecret: string;
  downloadUrlTtlMs: number;
  deleteGraceMs: number;
  retentionIntervalMs: number;
}

export const FILE_OPTIONS = Symbol('FILE_OPTIONS');

/** The time source of uploads, downloads and retention; tests move it to make files expire. */
export type Clock = () => Date;
export const CLOCK = Symbol('CLOCK');

/**
 * Delays between attempts to start following the conversation service's events while its stream
 * does not exist yet: doubling from `initialMs`, never more than `maxMs`.
 */
export interface FollowRetry {
  initialMs: number;
  maxMs: number;
}
export const FOLLOW_RETRY = Symbol('FOLLOW_RETRY');
export const defaultFollowRetry: FollowRetry = { initialMs: 1000, maxMs: 30_000 };
