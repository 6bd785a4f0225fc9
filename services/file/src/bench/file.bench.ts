import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { fileRequests, identityRequests, permissionRequests, type Principal } from '@parley/contracts';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import type { StorageDriverKind } from '../file.options.js';

/**
 * File benchmark: the file service runs as its own process on a fresh database, with stand-ins for
 * identity's key set and the permission service; this process uploads and downloads 1 MB and
 * 100 MB files over HTTP with each storage driver and reports MB/s (10^6 bytes per second, time to
 * the last byte of the response) and the service's memory: its resident set before, and the peak
 * of each phase (VmHWM, reset between phases). Prints the figures and writes them to
 * docs/generated/performance-file.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const megabyte = 1_000_000;
const cases = [
  { label: '1 MB', bytes: megabyte, repeat: 20 },
  { label: '100 MB', bytes: 100 * megabyte, repeat: 3 },
] as const;

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Generated text, produced as it is sent. */
function* text(total: number): Generator<Buffer> {
  const line = Buffer.from('benchmark content for the file service, one line of many\n');
  const block = Buffer.alloc(256 * 1024);
  let filled = 0;
  while (filled < block.length) {
    filled += line.copy(block, filled);
  }
  for (let sent = 0; sent < total; sent += block.length) {
    yield Buffer.from(block.subarray(0, Math.min(block.length, total - sent)));
  }
}

/** POSTs a streamed body (node:http sends it only as fast as the server reads it). */
function upload(url: string, token: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolveUpload, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'text/plain',
        'content-length': String(bytes),
      },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolveUpload({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    pipeline(Readable.from(text(bytes)), request).catch(reject);
  });
}

/** Reads a download to the end, counting its bytes. */
async function download(url: string): Promise<number> {
  const response = await fetch(url);
  let bytes = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
  }
  return bytes;
}

/** Resident memory of a process, from /proc: now and the peak since the last reset. */
function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rssMiB: Number(field('VmRSS').toFixed(1)), peakMiB: Number(field('VmHWM').toFixed(1)) };
}

/** Starts counting the peak resident memory of a process afresh (Linux: clear_refs 5). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

interface Stand {
  nats: NatsConnection;
  namespace: Namespace;
  rpc: NatsRpcClient;
  token: string;
  close(): void;
}

/** Answers what the file service asks of identity and the permission service. */
async function standIns(nats: NatsConnection, namespace: Namespace, actor: Principal): Promise<Stand> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }] };
  const token = await new SignJWT({ tenant_id: actor.tenantId, sid: actor.sessionId, user_kind: actor.kind })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setSubject(actor.userId)
    .setIssuer('parley-identity')
    .setAudience('parley')
    .setExpirationTime('2h')
    .sign(privateKey);
  const reply = (data: unknown) => JSON.stringify({ ok: true, data });
  const subscriptions: Subscription[] = [
    nats.subscribe(namespace.subject(identityRequests.getJwks.subject), {
      callback: (_error, message) => {
        message.respond(reply(jwks));
      },
    }),
    nats.subscribe(namespace.subject(permissionRequests.effective.subject), {
      callback: (_error, message) => {
        message.respond(
          reply({
            actorId: actor.userId,
            tenantId: actor.tenantId,
            rules: [
              { action: 'file:file:create', subject: 'all' },
              { action: 'file:file:read', subject: 'all', conditions: { ownerId: actor.userId } },
            ],
            validUntil: new Date(Date.now() + 5 * 60_000).toISOString(),
            computedAt: new Date().toISOString(),
          }),
        );
      },
    }),
    nats.subscribe(namespace.subject(permissionRequests.registerCatalog.subject), {
      callback: (_error, message) => {
        message.respond(reply({ added: [], unchanged: 3 }));
      },
    }),
  ];
  return {
    nats,
    namespace,
    rpc: new NatsRpcClient(nats, namespace),
    token,
    close: () => subscriptions.forEach((subscription) => subscription.unsubscribe()),
  };
}

async function untilListening(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health/ready`)).ok) {
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
    }
    await new Promise((resolvePause) => setTimeout(resolvePause, 200));
  }
}

async function untilProcessed(stand: Stand, fileId: string): Promise<void> {
  for (;;) {
    const file = await stand.rpc.request(fileRequests.get, { fileId }, { token: stand.token });
    if (file.status === 'accepted') {
      return;
    }
    if (file.status === 'rejected') {
      throw new Error(`The benchmark file was rejected: ${file.rejectionReason ?? ''}`);
    }
    await new Promise((resolvePause) => setTimeout(resolvePause, 20));
  }
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const rate = (bytes: number, ms: number) => Number((bytes / megabyte / (ms / 1000)).toFixed(1));

/** Uploads and downloads each size with one driver, against one service process. */
async function benchDriver(
  driver: StorageDriverKind,
  stand: Stand,
  serviceUrl: string,
  environment: NodeJS.ProcessEnv,
) {
  const storage = mkdtempSync(join(tmpdir(), 'parley-file-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [resolve(root, 'services/file/dist/main.js')], {
    env: {
      ...process.env,
      ...environment,
      DATABASE_URL: serviceUrl,
      HTTP_PORT: String(port),
      FILE_STORAGE_DRIVER: driver,
      FILE_STORAGE_PATH: storage,
      FILE_PUBLIC_URL: baseUrl,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stopped = new Promise((resolveExit) => child.once('exit', resolveExit));
  const pid = child.pid as number;
  try {
    await untilListening(baseUrl);
    const idle = memoryOf(pid);
    const results = [];
    for (const { label, bytes, repeat } of cases) {
      resetPeak(pid);
      let uploadMs = 0;
      let processingMs = 0;
      const ids: string[] = [];
      for (let i = 0; i < repeat; i += 1) {
        const started = performance.now();
        const answer = await upload(
          `${baseUrl}/v1/files?name=bench.txt&storageClass=medium_term_90_days`,
          stand.token,
          bytes,
        );
        uploadMs += performance.now() - started;
        if (answer.status !== 201) {
          throw new Error(`Upload answered ${answer.status}: ${answer.body}`);
        }
        const id = (JSON.parse(answer.body) as { id: string }).id;
        const processing = performance.now();
        await untilProcessed(stand, id);
        processingMs += performance.now() - processing;
        ids.push(id);
      }
      const uploadPeak = memoryOf(pid).peakMiB;
      resetPeak(pid);
      let downloadMs = 0;
      for (const id of ids) {
        const { url } = await stand.rpc.request(
          fileRequests.createDownloadUrl,
          { fileId: id },
          { token: stand.token },
        );
        const started = performance.now();
        const received = await download(url);
        downloadMs += performance.now() - started;
        if (received !== bytes) {
          throw new Error(`Downloaded ${received} of ${bytes} bytes`);
        }
      }
      results.push({
        size: label,
        files: repeat,
        uploadMBPerSecond: rate(bytes * repeat, uploadMs),
        processingMsPerFile: Math.round(processingMs / repeat),
        downloadMBPerSecond: rate(bytes * repeat, downloadMs),
        peakMemoryMiB: { upload: uploadPeak, download: memoryOf(pid).peakMiB },
      });
    }
    return { driver, idleMemoryMiB: idle.rssMiB, results };
  } finally {
    child.kill('SIGTERM');
    await stopped;
    rmSync(storage, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const database = `parley_bench_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${database}`);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const namespace = new Namespace(`bench-${randomBytes(3).toString('hex')}`);
  const nats = await connectNats({ url: natsUrl, name: 'file-bench' });
  try {
    await runMigrations({
      adminUrl: databaseUrl.toString(),
      schema: 'file',
      login: { name: 'file_service' },
      directory: serviceSqlDirectory('file'),
    });
    const serviceUrl = new URL(databaseUrl);
    serviceUrl.username = 'file_service';
    serviceUrl.password = '';
    const actor: Principal = {
      userId: randomUUID(),
      tenantId: randomUUID(),
      sessionId: randomUUID(),
      kind: 'person',
    };
    const stand = await standIns(nats, namespace, actor);
    const environment = {
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace.prefix,
      LOG_LEVEL: 'warn',
      RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
    };
    try {
      const drivers = [];
      for (const driver of ['local_filesystem', 'object_store'] as const) {
        drivers.push(await benchDriver(driver, stand, serviceUrl.toString(), environment));
      }
      const results = {
        service: 'separate process',
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
        measuredAt: new Date().toISOString(),
        unit: 'MB/s = 10^6 bytes per second; memory in MiB (resident set of the service process)',
        drivers,
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const file = resolve(root, 'docs/generated/performance-file.json');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    } finally {
      stand.close();
      await deleteNamespaceStreams(await jetstreamManager(nats), namespace);
    }
  } finally {
    await nats.drain();
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

await main();
