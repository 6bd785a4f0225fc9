import { commonVariables, defineConfig, env, type ConfigOf } from '@parley/config';
import { storageDrivers, type FileOptions } from './file.options.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

export const fileConfig = defineConfig({
  ...commonVariables,
  HTTP_PORT: env.port({
    description: 'Port of the HTTP server: uploads, downloads, health, metrics',
    default: '3005',
  }),
  AUTH_ISSUER: env.string({
    description: 'Expected `iss` of access tokens: the IDENTITY_ISSUER of the identity service',
    default: 'parley-identity',
  }),
  AUTH_AUDIENCE: env.string({
    description: 'Expected `aud` of access tokens: the IDENTITY_AUDIENCE of the identity service',
    default: 'parley',
  }),
  FILE_STORAGE_DRIVER: env.enum(storageDrivers, {
    description:
      'Where new uploads are stored: local_filesystem (FILE_STORAGE_PATH, one machine) or object_store ' +
      '(NATS JetStream, replicated with the NATS cluster). Files already stored stay with their driver',
    default: 'local_filesystem',
  }),
  FILE_STORAGE_PATH: env.string({
    description: 'Directory of the local_filesystem driver; created when missing',
    default: '.parley/files',
    minLength: 1,
  }),
  FILE_OBJECT_STORE_BUCKET: env.string({
    description: 'Object store bucket of the object_store driver (the NATS namespace is put in front)',
    default: 'file_content',
    pattern: /^[A-Za-z0-9_-]+$/,
    patternHint: 'Expected letters, digits, "-" and "_"',
  }),
  FILE_JETSTREAM_REPLICAS: env.int({
    description:
      'Replicas of the object store bucket and of the processing queue when they are created (at most the NATS cluster size)',
    default: '1',
    min: 1,
    max: 5,
  }),
  FILE_PUBLIC_URL: env.url({
    description: 'Base URL clients reach this service at; signed download URLs start with it',
    default: 'http://127.0.0.1:3005',
    protocols: ['http', 'https'],
  }),
  FILE_DOWNLOAD_SECRET: env.string({
    description:
      'Secret (HS256 key, at least 32 characters) that signs download URLs; the same on every instance',
    secret: true,
    minLength: 32,
    default: 'local-development-only-download-url-signing-secret',
  }),
  FILE_DOWNLOAD_URL_TTL: env.duration({
    description: 'How long a signed download URL can be used',
    default: '5m',
    minMs: 10_000,
    maxMs: hour,
  }),
  FILE_DELETE_GRACE: env.duration({
    description: 'How long the content of a deleted file is kept before the retention job purges it',
    default: '7d',
    minMs: 0,
    maxMs: 90 * day,
  }),
  FILE_RETENTION_INTERVAL: env.duration({
    description: 'How often the retention job looks for expired, deleted and rejected files',
    default: '1m',
    minMs: 1000,
    maxMs: day,
  }),
});
export type FileConfig = ConfigOf<typeof fileConfig>;

export function fileOptionsFrom(config: FileConfig): FileOptions {
  return {
    driver: config.FILE_STORAGE_DRIVER,
    storagePath: config.FILE_STORAGE_PATH,
    bucket: config.FILE_OBJECT_STORE_BUCKET,
    replicas: config.FILE_JETSTREAM_REPLICAS,
    publicUrl: config.FILE_PUBLIC_URL.replace(/\/+$/, ''),
    downloadSecret: config.FILE_DOWNLOAD_SECRET,
    downloadUrlTtlMs: config.FILE_DOWNLOAD_URL_TTL,
    deleteGraceMs: config.FILE_DELETE_GRACE,
    retentionIntervalMs: config.FILE_RETENTION_INTERVAL,
  };
}
