import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import {
  eventStreamName,
  fileRequests,
  headerNames,
  ParleyError,
  permissionRequests,
  replyEnvelopeSchema,
  type FileInfo,
  type Principal,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
  type StorageClass,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import {
  migratedServiceDatabase,
  eventually,
  natsUrl,
  urlForLogin,
  withClient,
  type TestDatabase,
} from '@parley/testing';
import {
  bootstrapWorld,
  publishUserCreated,
  startPermissionUnderTest,
  TestClock,
  type PermissionUnderTest,
  type World,
} from '../../permission/test/permission.harness.js';
import { fileConfig, type FileConfig } from '../src/file.config.js';
import { startFile } from '../src/file.app.js';
import type { FileOverrides } from '../src/file.module.js';
import type { StorageDriverKind } from '../src/file.options.js';

export const fileLogin = 'file_service';

/** A fresh database with the file schema migrated; `drop()` removes it. */
export function migratedFileDatabase(): Promise<TestDatabase> {
  return migratedServiceDatabase('file');
}

/** What an upload sends besides the body. */
export interface UploadOptions {
  name?: string;
  storageClass?: StorageClass;
  /** The Content-Type header; none when undefined. */
  contentType?: string;
  /** Query text used as is, in place of name and storageClass. */
  query?: string;
  /** Content-Length header; set automatically for a Buffer body. */
  contentLength?: number;
}

/** An event of the file service's stream. */
export interface FileEvent {
  subject: string;
  payload: Record<string, unknown>;
}

export interface FileUnderTest {
  app: INestApplication;
  config: FileConfig;
  baseUrl: string;
  /** The permission service the file service asks, with its own clock and identity stand-in. */
  permission: PermissionUnderTest;
  /** The platform, one tenant and its first administrator. */
  world: World;
  rpc: NatsRpcClient;
  nats: NatsConnection;
  namespace: Namespace;
  database: TestDatabase;
  /** The file service's clock. */
  clock: TestClock;
  /** The local filesystem driver's directory. */
  storagePath: string;
  driver: StorageDriverKind;
  /** A new person of the tenant, once it holds what identity's user.created gives every person. */
  person(tenantId?: string): Promise<Principal>;
  token(principal: Principal): Promise<string>;
  /** Calls the file service over NATS as the principal. */
  call<C extends RequestContract>(contract: C, payload: RequestOf<C>, as: Principal): Promise<ResponseOf<C>>;
  /** Like `call`, but the payload goes out unchecked, so the service's own refusal is what returns. */
  send<C extends RequestContract>(contract: C, payload: unknown, as?: Principal): Promise<ResponseOf<C>>;
  upload(
    as: Principal | undefined,
    body: Buffer | AsyncIterable<Uint8Array>,
    options?: UploadOptions,
  ): Promise<Response>;
  /** Uploads, expects 201, and waits until processing accepted or rejected the file. */
  uploadProcessed(as: Principal, body: Buffer, options?: UploadOptions): Promise<FileInfo>;
  /** Waits until processing has finished with the file. */
  processed(fileId: string, as: Principal): Promise<FileInfo>;
  /** The path and query of a signed download URL, on this test's server. */
  downloadUrl(fileId: string, as: Principal, disposition?: 'attachment' | 'inline'): Promise<string>;
  /** Every event of the file stream so far. */
  events(): Promise<FileEvent[]>;
  /** Keys the storage driver holds content for (object store: live objects). */
  storedKeys(): Promise<string[]>;
  /** Runs SQL as the database owner. */
  sql<R extends Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/**
 * The permission service with a tenant and its administrator, and beside it, in the same NATS
 * namespace, the file service on a fresh database and a fresh storage directory, listening on a
 * free port. Files go to `driver`. The conversation service's event stream is not created: a test
 * that publishes conversation events creates it.
 */
export async function startFileUnderTest(
  driver: StorageDriverKind = 'local_filesystem',
  env: Record<string, string> = {},
  overrides: Omit<FileOverrides, 'clock'> = {},
): Promise<FileUnderTest> {
  const permission = await startPermissionUnderTest({}, { systemClock: true });
  let database: TestDatabase | undefined;
  let storagePath: string | undefined;
  let app: INestApplication | undefined;
  try {
    const world = await bootstrapWorld(permission);
    database = await migratedFileDatabase();
    storagePath = await mkdtemp(join(tmpdir(), 'parley-file-'));
    const namespace = permission.namespace;
    const clock = new TestClock();
    const config = loadConfig(fileConfig, {
      DATABASE_URL: urlForLogin(database.url, fileLogin),
      NATS_URL: natsUrl(),
      NATS_NAMESPACE: namespace.prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: 'silent',
      FILE_STORAGE_DRIVER: driver,
      FILE_STORAGE_PATH: storagePath,
      FILE_RETENTION_INTERVAL: '1d',
      ...env,
    });
    const started = await startFile(config, { ...overrides, clock: clock.now });
    app = started;
    const baseUrl = (await started.getUrl()).replace('[::1]', '127.0.0.1');
    const nats = permission.nats;
    const rpc = permission.rpc;
    const signer = permission.signer;
    const owned = { database, storagePath };
    const service: FileUnderTest = {
      app: started,
      config,
      baseUrl,
      permission,
      world,
      rpc,
      nats,
      namespace,
      database,
      clock,
      storagePath,
      driver,
      async person(tenantId = world.tenant.id) {
        const principal = await publishUserCreated(permission, tenantId, 'person');
        const held = await eventually(
          () =>
            permission.call(
              permissionRequests.check,
              { actorId: principal.userId, permission: 'file:file:create' },
              principal,
            ),
          (answer) => answer.allowed,
          10_000,
        );
        if (!held.allowed) {
          throw new Error('The new person did not receive its permission sets in time');
        }
        return principal;
      },
      token: (principal) => signer.token(principal),
      async call(contract, payload, as) {
        return rpc.request(contract, payload, { token: await signer.token(as) });
      },
      async send(contract, payload, as) {
        const headers = natsHeaders();
        if (as !== undefined) {
          headers.set(headerNames.authorization, `Bearer ${await signer.token(as)}`);
        }
        const reply = await nats.request(namespace.subject(contract.subject), JSON.stringify(payload), {
          timeout: 5000,
          headers,
        });
        const envelope = replyEnvelopeSchema.parse(reply.json());
        if (!envelope.ok) {
          throw ParleyError.fromEnvelope(envelope.error);
        }
        return contract.response.parse(envelope.data) as ResponseOf<typeof contract>;
      },
      async upload(as, body, options = {}) {
        const query =
          options.query ??
          new URLSearchParams({
            name: options.name ?? 'notes.txt',
            ...(options.storageClass === undefined ? {} : { storageClass: options.storageClass }),
          }).toString();
        const headers: Record<string, string> = {};
        if (as !== undefined) {
          headers['authorization'] = `Bearer ${await signer.token(as)}`;
        }
        if (options.contentType !== undefined) {
          headers['content-type'] = options.contentType;
        }
        const length = options.contentLength ?? (Buffer.isBuffer(body) ? body.length : undefined);
        if (length !== undefined) {
          headers['content-length'] = String(length);
        }
        return streamedPost(`${baseUrl}/v1/files?${query}`, headers, body);
      },
      async uploadProcessed(as, body, options = {}) {
        const response = await service.upload(as, body, options);
        if (response.status !== 201) {
          throw new Error(`Upload answered ${response.status}: ${await response.text()}`);
        }
        const received = (await response.json()) as FileInfo;
        return service.processed(received.id, as);
      },
      async processed(fileId, as) {
        const file = await eventually(
          () => service.call(fileRequests.get, { fileId }, as),
          (info) => info.status === 'accepted' || info.status === 'rejected',
          20_000,
        );
        if (file.status !== 'accepted' && file.status !== 'rejected') {
          throw new Error(`File ${fileId} was not processed in time (status ${file.status})`);
        }
        return file;
      },
      async downloadUrl(fileId, as, disposition = 'attachment') {
        const { url } = await service.call(fileRequests.createDownloadUrl, { fileId, disposition }, as);
        return new URL(url).pathname;
      },
      async events() {
        const jsm = await jetstreamManager(nats);
        const stream = namespace.stream(eventStreamName('file'));
        const info = await jsm.streams.info(stream);
        const events: FileEvent[] = [];
        for (
          let seq = info.state.first_seq;
          info.state.messages > 0 && seq <= info.state.last_seq;
          seq += 1
        ) {
          const message = await jsm.streams.getMessage(stream, { seq });
          if (message !== null) {
            events.push({
              subject: namespace.strip(message.subject),
              payload: message.json<Record<string, unknown>>(),
            });
          }
        }
        return events;
      },
      async storedKeys() {
        if (driver === 'local_filesystem') {
          const entries = await readdir(owned.storagePath, { recursive: true, withFileTypes: true });
          return entries
            .filter((entry) => entry.isFile())
            .map((entry) => join(entry.parentPath, entry.name).slice(owned.storagePath.length + 1))
            .sort();
        }
        const bucket = namespace.stream(config.FILE_OBJECT_STORE_BUCKET);
        const objects = (await (await new Objm(nats).open(bucket)).list()).filter(
          (object) => !object.deleted,
        );
        // Chunks that belong to no live object (a failed write that left some behind) show up too.
        const jsm = await jetstreamManager(nats);
        const chunks = await jsm.streams.info(`OBJ_${bucket}`, { subjects_filter: `$O.${bucket}.C.>` });
        const live = new Set(objects.map((object) => object.nuid));
        const orphans = Object.keys(chunks.state.subjects ?? {})
          .map((subject) => subject.split('.').pop() ?? '')
          .filter((nuid) => !live.has(nuid))
          .map((nuid) => `orphan chunks ${nuid}`);
        return [...objects.map((object) => object.name), ...orphans].sort();
      },
      sql: <R extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
        withClient(owned.database.url, async (client) => (await client.query<R>(text, values)).rows),
      async stop() {
        await started.close();
        // The content and queues of this test only; the namespace is unique to it.
        await deleteNamespaceStreams(await jetstreamManager(nats), namespace);
        await owned.database.drop();
        await rm(owned.storagePath, { recursive: true, force: true });
        await permission.stop();
      },
    };
    return service;
  } catch (error) {
    await app?.close();
    await database?.drop();
    if (storagePath !== undefined) {
      await rm(storagePath, { recursive: true, force: true });
    }
    await permission.stop();
    throw error;
  }
}

/**
 * POSTs the body with node:http, which sends it as fast as the server reads it and no faster (fetch
 * would read an iterable body ahead into memory). The answer arrives as a fetch Response; when the
 * server answers early and closes the connection, the answer counts, not the failed rest of the send.
 */
function streamedPost(
  url: string,
  headers: Record<string, string>,
  body: Buffer | AsyncIterable<Uint8Array>,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers });
    let answered = false;
    request.on('response', (incoming) => {
      answered = true;
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : (value ?? ''));
        }
        resolve(new Response(Buffer.concat(chunks), { status: incoming.statusCode, headers: answerHeaders }));
      });
    });
    request.on('error', (error) => {
      // A reset while sending may come just before the answer that explains it.
      setTimeout(() => {
        if (!answered) {
          reject(error);
        }
      }, 200);
    });
    pipeline(Readable.from(Buffer.isBuffer(body) ? [body] : body), request).catch(() => undefined);
  });
}

/** Chunks of generated text, `total` bytes in all, produced as they are read: never held whole. */
export async function* generatedText(total: number, chunkBytes = 1024 * 1024): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let line = 0;
  while (sent < total) {
    const size = Math.min(chunkBytes, total - sent);
    const chunk = Buffer.alloc(size);
    let at = 0;
    while (at < size) {
      at += chunk.write(`line ${line} of generated text for the upload test\n`, at);
      line += 1;
    }
    sent += size;
    yield chunk;
  }
}

export { eventually };
