import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pg from 'pg';
import {
  conversationRequests as api,
  identityRequests,
  permissionRequests,
  type CaslRule,
  type Principal,
} from '@parley/contracts';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import { cpuShareSince, eventually, withClient } from '@parley/testing';

/**
 * Conversation benchmark, driving the service over NATS as clients do (every request verified,
 * guarded and validated):
 *
 * - sustained sends per second: many clients sending into many groups, each send persisted with
 *   its sequence number, its read position and its outbox event in one transaction;
 * - send latency at a steady 250 and 1,000 sends per second (p50, p99);
 * - history "latest 50" latency in a conversation holding 1,000,000 messages (bulk-inserted with
 *   generate_series, not sent through the API).
 *
 * The service runs in its own process, as in production. Identity's key set and the permission
 * service's compiled permissions are answered by stand-ins (their own benchmarks measure them; the
 * service caches both, so after the first request of each actor they are not asked again). Prints
 * the figures and writes them to docs/generated/performance-conversation.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10');
const storedMessages = Number(process.env['BENCH_STORED_MESSAGES'] ?? '1000000');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const issuer = 'parley-identity';
const audience = 'parley';

/** Groups sent into, senders, and sends kept in flight by the sustained measure (BENCH_IN_FLIGHT). */
const groups = 200;
const senders = 50;
const inFlight = Number(process.env['BENCH_IN_FLIGHT'] ?? '64');

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number): number => Number(value.toFixed(2));

interface Actor {
  principal: Principal;
  token: string;
}

async function admin<T extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<T>(sql, values);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const database = `parley_bench_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${database}`);
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const namespace = new Namespace(`bench-${randomBytes(3).toString('hex')}`);
  try {
    await runMigrations({
      adminUrl: databaseUrl.toString(),
      schema: 'conversation',
      login: { name: 'conversation_service' },
      directory: serviceSqlDirectory('conversation'),
    });
    const serviceUrl = new URL(databaseUrl);
    serviceUrl.username = 'conversation_service';
    serviceUrl.password = '';
    const nats = await connectNats({ url: natsUrl, name: 'conversation-bench' });
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const tenantId = randomUUID();
    const actors = await Promise.all(Array.from({ length: senders }, () => actorOf(tenantId, privateKey)));
    const standIns = await serveStandIns(nats, namespace, publicKey);
    const seeded = await seed(databaseUrl.toString(), tenantId, actors);
    const environment = {
      DATABASE_URL: serviceUrl.toString(),
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace.prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
      SERVICE_ACCOUNT_EMAIL: 'conversation@parley.bench',
      SERVICE_ACCOUNT_PASSWORD: 'not-used-by-the-benchmark',
    };
    const service = spawn(process.execPath, [resolve(root, 'services/conversation/dist/main.js')], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const stopped = new Promise((resolveExit) => service.once('exit', resolveExit));
    const rpc = new NatsRpcClient(nats, namespace);
    try {
      const reader = actors[0] as Actor;
      await untilAnswering(rpc, reader, seeded.history);
      // Warm-up, not measured: every actor's token and permissions get cached, pools fill.
      await sustainedSends(rpc, actors, seeded.groups, 2);
      // History first: the send measures may leave a backlog behind them.
      const historyLatest50 = await historyLatest(rpc, reader, seeded.history, storedMessages);
      const results = {
        service: 'separate process',
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
        measuredAt: new Date().toISOString(),
        loadAverage: os.loadavg().map(round),
        historyLatest50,
        sustainedSends: await sustainedSends(rpc, actors, seeded.groups, seconds),
        // Below saturation on a shared two-core machine, then the goal's rate; each once the
        // events of the phase before are published (a saturated phase leaves many behind).
        sendsAt250PerSecond: {
          outboxDrainedAfterMs: await untilOutboxDrained(databaseUrl.toString()),
          ...(await steadySends(rpc, actors, seeded.groups, seconds, 250)),
        },
        sendsAt1000PerSecond: {
          outboxDrainedAfterMs: await untilOutboxDrained(databaseUrl.toString()),
          ...(await steadySends(rpc, actors, seeded.groups, seconds, 1000)),
        },
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const file = resolve(root, 'docs/generated/performance-conversation.json');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    } finally {
      standIns.forEach((subscription) => subscription.unsubscribe());
      service.kill('SIGTERM');
      await stopped;
      try {
        await deleteNamespaceStreams(await jetstreamManager(nats), namespace);
      } finally {
        await nats.drain();
      }
    }
  } finally {
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

async function actorOf(tenantId: string, key: CryptoKey): Promise<Actor> {
  const principal: Principal = { userId: randomUUID(), tenantId, sessionId: randomUUID(), kind: 'person' };
  const token = await new SignJWT({ tenant_id: tenantId, sid: principal.sessionId, user_kind: 'person' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setSubject(principal.userId)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .setJti(randomUUID())
    .sign(key);
  return { principal, token };
}

/**
 * Stand-ins for identity's key set and the permission service: every actor may read and send in
 * every conversation of the tenant; the catalog registration is acknowledged.
 */
async function serveStandIns(
  nats: NatsConnection,
  namespace: Namespace,
  key: CryptoKey,
): Promise<Subscription[]> {
  const jwks = { keys: [{ ...(await exportJWK(key)), kid: 'bench', alg: 'RS256', use: 'sig' }] };
  const rules: CaslRule[] = ['conversation:message:send', 'conversation:message:read'].map((action) => ({
    action,
    subject: 'all',
  }));
  const answer = (message: Msg, data: unknown): void => {
    message.respond(JSON.stringify({ ok: true, data }));
  };
  return [
    nats.subscribe(namespace.subject(identityRequests.getJwks.subject), {
      callback: (_error, message) => answer(message, jwks),
    }),
    nats.subscribe(namespace.subject(permissionRequests.effective.subject), {
      callback: (_error, message) => {
        const { actorId } = permissionRequests.effective.request.parse(message.json());
        const tenantId = tokenTenant(message.headers?.get('Authorization') ?? '');
        const now = Date.now();
        answer(message, {
          actorId,
          tenantId,
          rules,
          validUntil: new Date(now + 300_000).toISOString(),
          computedAt: new Date(now).toISOString(),
        });
      },
    }),
    nats.subscribe(namespace.subject(permissionRequests.registerCatalog.subject), {
      callback: (_error, message) => answer(message, { added: [], unchanged: 11 }),
    }),
  ];
}

/** The tenant claim of a bearer token (the stand-in trusts the service to have verified it). */
function tokenTenant(authorization: string): string {
  const payload = authorization.replace(/^Bearer /, '').split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { tenant_id: string }).tenant_id;
}

/**
 * Groups with every actor as a member, and one conversation holding `storedMessages` messages
 * (inserted in bulk, in the shape sends leave them).
 */
async function seed(
  url: string,
  tenantId: string,
  actors: Actor[],
): Promise<{ groups: string[]; history: string }> {
  const owner = (actors[0] as Actor).principal.userId;
  const created = await admin<{ id: string }>(
    url,
    `INSERT INTO conversation.conversations (tenant_id, created_by_id, kind, title, visibility, participant_count)
     SELECT $1, $2, 'group', 'Bench ' || n, 'private', $3 FROM generate_series(1, $4) n RETURNING id`,
    [tenantId, owner, actors.length, groups + 1],
  );
  const ids = created.rows.map((row) => row.id);
  await admin(
    url,
    `INSERT INTO conversation.participants (conversation_id, user_id, tenant_id, standing)
     SELECT c, u, $3, 'member' FROM unnest($1::uuid[]) c CROSS JOIN unnest($2::uuid[]) u`,
    [ids, actors.map((actor) => actor.principal.userId), tenantId],
  );
  const history = ids[groups] as string;
  await admin(
    url,
    `INSERT INTO conversation.messages
       (conversation_id, tenant_id, sender_id, sequence, client_message_id, body, status, published_at, created_at)
     SELECT $1, $2, $3, n, 'seed-' || n,
            'Seeded message ' || n || ': a sentence of ordinary length, as people write them in a group.',
            'published', now(), now()
     FROM generate_series(1, $4) n`,
    [history, tenantId, owner, storedMessages],
  );
  await admin(url, 'UPDATE conversation.conversations SET last_sequence = $2 WHERE id = $1', [
    history,
    storedMessages,
  ]);
  // Measure a settled database, not the aftermath of the bulk load: vacuumed (hint bits and
  // visibility map set), analyzed, and its dirty pages written out.
  await admin(url, 'VACUUM (ANALYZE) conversation.messages');
  await admin(url, 'CHECKPOINT');
  return { groups: ids.slice(0, groups), history };
}

/**
 * Waits until the outbox relay has published every event written so far, and says how long that
 * took: a steady phase measures sends at its rate, not the relay catching up on the phase before.
 */
async function untilOutboxDrained(url: string): Promise<number> {
  const started = performance.now();
  const waiting = await withClient(url, (client) =>
    eventually(
      async () =>
        (
          await client.query<{ waiting: boolean }>(
            'SELECT EXISTS (SELECT 1 FROM conversation.outbox_events WHERE published_at IS NULL) AS waiting',
          )
        ).rows[0]?.waiting === true,
      (still) => !still,
      120_000,
    ),
  );
  if (waiting) {
    throw new Error('The outbox was not drained within 120 s');
  }
  return Math.round(performance.now() - started);
}

/** Waits until the service answers (it connects, migrates nothing, subscribes). */
async function untilAnswering(rpc: NatsRpcClient, actor: Actor, conversationId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await rpc.request(api.history, { conversationId, limit: 1 }, { token: actor.token, timeoutMs: 1000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolvePause) => setTimeout(resolvePause, 200));
    }
  }
}

function sendOne(rpc: NatsRpcClient, actors: Actor[], conversations: string[], index: number) {
  const actor = actors[index % actors.length] as Actor;
  return rpc.request(
    api.send,
    {
      conversationId: conversations[index % conversations.length] as string,
      clientMessageId: randomUUID(),
      body: `Benchmark message ${index}`,
    },
    { token: actor.token, timeoutMs: 30_000 },
  );
}

/** As many sends as `inFlight` concurrent clients complete in `duration` seconds. */
async function sustainedSends(
  rpc: NatsRpcClient,
  actors: Actor[],
  conversations: string[],
  duration: number,
) {
  let next = 0;
  let completed = 0;
  const machine = cpuShareSince();
  const started = performance.now();
  const deadline = started + duration * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      await sendOne(rpc, actors, conversations, next++);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, client));
  const elapsed = (performance.now() - started) / 1000;
  return {
    clients: inFlight,
    conversations: conversations.length,
    sends: completed,
    sendsPerSecond: Math.round(completed / elapsed),
    machineCpu: machine(),
  };
}

/**
 * Sends at a steady `rate` per second for `duration` seconds, each timed from request to reply. A
 * send without a reply within 30 s counts as failed: the service was not keeping up.
 */
async function steadySends(
  rpc: NatsRpcClient,
  actors: Actor[],
  conversations: string[],
  duration: number,
  rate: number,
) {
  const latencies: number[] = [];
  let failed = 0;
  const pending: Array<Promise<void>> = [];
  const machine = cpuShareSince();
  const started = performance.now();
  for (let index = 0; index < rate * duration; index += 1) {
    const wait = started + (index * 1000) / rate - performance.now();
    if (wait > 1) {
      await new Promise((resolvePause) => setTimeout(resolvePause, wait));
    }
    const sent = performance.now();
    pending.push(
      sendOne(rpc, actors, conversations, index).then(
        () => {
          latencies.push(performance.now() - sent);
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    offeredPerSecond: rate,
    sendsPerSecond: Math.round(latencies.length / elapsed),
    sends: latencies.length,
    failed,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    machineCpu: machine(),
  };
}

/** The latest 50 messages of the big conversation, requested one after another, 2,000 times. */
async function historyLatest(rpc: NatsRpcClient, actor: Actor, conversationId: string, stored: number) {
  const latencies: number[] = [];
  const machine = cpuShareSince();
  for (let index = 0; index < 2000; index += 1) {
    const sent = performance.now();
    const page = await rpc.request(api.history, { conversationId, limit: 50 }, { token: actor.token });
    latencies.push(performance.now() - sent);
    if (page.items.length !== 50) {
      throw new Error(`Expected 50 messages, got ${page.items.length}`);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    storedMessages: stored,
    requests: latencies.length,
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
    machineCpu: machine(),
  };
}

await main();
