import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { conversationEvents, type Conversation, type Message } from '@parley/contracts';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, deleteNamespaceStreams, EventPublisher, Namespace } from '@parley/nats';

/**
 * Notification benchmark, with the service in its own process as in production:
 * - notifications created per second from a burst of the conversation service's message events
 *   (small groups: many events of few recipients; a large group: fewer events of many), counted
 *   from the first publish until the last event is handled;
 * - a broadcast to 10,000 users: the fan-out (every notification written, batch by batch) and the
 *   relay of their 10,000 notification.created events to JetStream, with the service's resident
 *   memory before and at its peak.
 * Prints the figures and writes them to docs/generated/performance-notification.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const broadcastRecipients = 10_000;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Polls until `probe` holds, or fails after `timeoutMs`. */
async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolvePause) => setTimeout(resolvePause, 20));
  }
}

/** Resident memory of a process in MiB, from /proc (Linux). */
function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kib / 1024) * 10) / 10;
}

const now = (): string => new Date().toISOString();

function groupOf(createdById: string, size: number): Conversation {
  return {
    id: randomUUID(),
    kind: 'group',
    title: 'Bench group',
    topic: null,
    visibility: 'private',
    isRestricted: false,
    isReadOnly: false,
    requiresApproval: false,
    directUserIds: null,
    createdById,
    participantCount: size,
    lastSequence: 0,
    lastRevision: 0,
    lastActivityAt: now(),
    createdAt: now(),
    updatedAt: now(),
  };
}

function messageOf(conversationId: string, senderId: string, sequence: number): Message {
  return {
    id: randomUUID(),
    conversationId,
    sequence,
    senderId,
    clientMessageId: randomUUID(),
    body: `Message number ${sequence}`,
    replyToId: null,
    mentions: [],
    attachments: [],
    status: 'published',
    rejectionReason: null,
    editedAt: null,
    deletedAt: null,
    createdAt: now(),
    publishedAt: now(),
    revision: 0,
  };
}

interface Bench {
  databaseUrl: string;
  publisher: EventPublisher;
  tenantId: string;
}

const handledCount = (bench: Bench): Promise<number> =>
  withClient(bench.databaseUrl, async (client) =>
    Number(
      (
        await client.query<{ count: string }>(
          `SELECT count(*) FROM notification.processed_messages WHERE consumer = 'notification-conversation'`,
        )
      ).rows[0]?.count,
    ),
  );

/**
 * A group of `size` users, then `events` messages from one of them published as fast as JetStream
 * takes them; timed from the first publish until the service has handled the last.
 */
async function burst(bench: Bench, size: number, events: number) {
  const members = Array.from({ length: size }, () => randomUUID());
  const sender = members[0] as string;
  const group = groupOf(sender, size);
  const before = await handledCount(bench);
  await bench.publisher.publishEvent(
    conversationEvents.conversationCreated,
    bench.tenantId,
    { conversation: group, participantIds: members },
    randomUUID(),
  );
  await until(async () => (await handledCount(bench)) === before + 1, 30_000, 'the group');
  const started = performance.now();
  for (let first = 0; first < events; first += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, events - first) }, (_, i) =>
        bench.publisher.publishEvent(
          conversationEvents.messageCreated,
          bench.tenantId,
          { message: messageOf(group.id, sender, first + i + 1) },
          randomUUID(),
        ),
      ),
    );
  }
  await until(async () => (await handledCount(bench)) === before + 1 + events, 600_000, 'the burst');
  const seconds = (performance.now() - started) / 1000;
  const notifications = events * (size - 1);
  return {
    groupSize: size,
    events,
    notifications,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    notificationsPerSecond: Math.round(notifications / seconds),
  };
}

/** A broadcast job as a send records it, to 10,000 seeded users; the service's fan-out takes it up. */
async function broadcast(bench: Bench, pid: number) {
  await withClient(bench.databaseUrl, (client) =>
    client.query(
      `INSERT INTO notification.users (user_id, tenant_id, kind, status, email, full_name, identity_updated_at)
       SELECT gen_random_uuid(), $1, 'person', 'active', 'user' || n || '@example.test', 'User ' || n, now()
       FROM generate_series(1, $2) AS n`,
      [bench.tenantId, broadcastRecipients],
    ),
  );
  const memoryBefore = residentMiB(pid);
  let memoryPeak = memoryBefore;
  const sampler = setInterval(() => {
    memoryPeak = Math.max(memoryPeak, residentMiB(pid));
  }, 10);
  const started = performance.now();
  const jobId = await withClient(bench.databaseUrl, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO notification.broadcasts
         (tenant_id, sender_id, sender_tenant_id, kind, idempotency_key, title, body, priority)
       VALUES ($1, $2, $1, 'broadcast', 'bench', 'Campus closed', 'The campus is closed on Monday', 'high')
       RETURNING id`,
      [bench.tenantId, randomUUID()],
    );
    return rows[0]?.id as string;
  });
  const row = async () =>
    withClient(bench.databaseUrl, async (client) => {
      const { rows } = await client.query<{ status: string; fan_out_ms: number; recipient_count: number }>(
        `SELECT status, recipient_count,
                extract(epoch FROM (completed_at - started_at)) * 1000 AS fan_out_ms
         FROM notification.broadcasts WHERE id = $1`,
        [jobId],
      );
      return rows[0];
    });
  await until(async () => (await row())?.status === 'completed', 600_000, 'the fan-out');
  const completedAfterMs = performance.now() - started;
  await until(
    () =>
      withClient(bench.databaseUrl, async (client) => {
        const { rows } = await client.query<{ count: string }>(
          'SELECT count(*) FROM notification.outbox_events WHERE published_at IS NULL',
        );
        return rows[0]?.count === '0';
      }),
    600_000,
    'the relay',
  );
  const relayedAfterMs = performance.now() - started;
  clearInterval(sampler);
  const done = await row();
  return {
    recipients: done?.recipient_count,
    fanOutMs: Math.round(Number(done?.fan_out_ms)),
    fromSendToCompletedMs: Math.round(completedAfterMs),
    untilEveryEventInJetStreamMs: Math.round(relayedAfterMs),
    serviceResidentMiB: { before: memoryBefore, peak: memoryPeak },
  };
}

async function main(): Promise<void> {
  const database = `parley_bench_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const namespace = new Namespace(`bench-${randomBytes(3).toString('hex')}`);
  try {
    await runMigrations({
      adminUrl: databaseUrl.toString(),
      schema: 'notification',
      login: { name: 'notification_service' },
      directory: serviceSqlDirectory('notification'),
    });
    const serviceUrl = new URL(databaseUrl);
    serviceUrl.username = 'notification_service';
    serviceUrl.password = '';
    const port = await freePort();
    const service = spawn(process.execPath, [resolve(root, 'services/notification/dist/main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: serviceUrl.toString(),
        NATS_URL: natsUrl,
        NATS_NAMESPACE: namespace.prefix,
        HTTP_PORT: String(port),
        // No permission service runs beside it: its catalog registration retries quietly.
        LOG_LEVEL: 'error',
        RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
        NOTIFICATION_BROADCAST_POLL_INTERVAL: '50ms',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const stopped = new Promise((resolveExit) => service.once('exit', resolveExit));
    const nats = await connectNats({ url: natsUrl, name: 'notification-bench' });
    try {
      await until(
        () =>
          fetch(`http://127.0.0.1:${port}/health/ready`).then(
            (response) => response.ok,
            () => false,
          ),
        30_000,
        'the service',
      );
      const bench: Bench = {
        databaseUrl: databaseUrl.toString(),
        publisher: new EventPublisher(nats, namespace),
        tenantId: randomUUID(),
      };
      // Warm-up (connection pool, JIT), not measured.
      await burst(bench, 5, 100);
      const results = {
        service: 'separate process',
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
        measuredAt: new Date().toISOString(),
        burstSmallGroups: await burst(bench, 10, 1_000),
        burstLargeGroup: await burst(bench, 500, 40),
        broadcast: await broadcast(bench, service.pid as number),
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const file = resolve(root, 'docs/generated/performance-notification.json');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    } finally {
      service.kill('SIGTERM');
      await stopped;
      try {
        await deleteNamespaceStreams(await jetstreamManager(nats), namespace);
      } finally {
        await nats.drain();
      }
    }
  } finally {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

await main();
