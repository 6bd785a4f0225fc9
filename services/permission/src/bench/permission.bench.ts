import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { identityRequests, permissionRequests as api, type Principal } from '@parley/contracts';
import { loadConfig } from '@parley/config';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import { CompiledPermissions } from '@parley/permissions';
import { permissionConfig } from '../permission.config.js';
import { cpuShareSince } from '@parley/testing';

/**
 * Permission benchmark: a check answered locally from compiled permissions (what every service's
 * guard does on a cache hit), and `permission.v1.permission.check` over NATS at a steady
 * 1,000 requests per second (cold: the service evaluates from PostgreSQL every time). Prints the
 * figures and writes them to docs/generated/performance-permission.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
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
      schema: 'permission',
      login: { name: 'permission_service' },
      directory: serviceSqlDirectory('permission'),
    });
    const serviceUrl = new URL(databaseUrl);
    serviceUrl.username = 'permission_service';
    serviceUrl.password = '';
    const nats = await connectNats({ url: natsUrl, name: 'permission-bench' });
    // Stands in for identity's key set, as the service's tests do.
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' }] };
    const jwksResponder = nats.subscribe(namespace.subject(identityRequests.getJwks.subject), {
      callback: (_error, message) => {
        message.respond(JSON.stringify({ ok: true, data: jwks }));
      },
    });
    const environment = {
      DATABASE_URL: serviceUrl.toString(),
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace.prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
    };
    const config = loadConfig(permissionConfig, environment);
    // The service runs in its own process, as in production: the load generator does not share
    // its event loop.
    const service = spawn(process.execPath, [resolve(root, 'services/permission/dist/main.js')], {
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const stopped = new Promise((resolveExit) => service.once('exit', resolveExit));
    const rpc = new NatsRpcClient(nats, namespace);
    try {
      const actor: Principal = {
        userId: randomUUID(),
        tenantId: randomUUID(),
        sessionId: randomUUID(),
        kind: 'person',
      };
      const token = await new SignJWT({
        tenant_id: actor.tenantId,
        sid: actor.sessionId,
        user_kind: actor.kind,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
        .setSubject(actor.userId)
        .setIssuer(config.AUTH_ISSUER)
        .setAudience(config.AUTH_AUDIENCE)
        .setExpirationTime('1h')
        .sign(privateKey);
      await untilAnswering(rpc, actor, token);
      const results = {
        service: 'separate process',
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
        measuredAt: new Date().toISOString(),
        cachedCheck: benchCached(actor),
        natsCheck: await benchNats(rpc, actor, token),
        natsEchoFloor: await benchEcho(nats, namespace),
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const file = resolve(root, 'docs/generated/performance-permission.json');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    } finally {
      jwksResponder.unsubscribe();
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

/**
 * The floor under any request/reply on this machine: an empty responder over the same NATS server
 * at the same rate. A check can never be faster than this.
 */
async function benchEcho(nats: NatsConnection, namespace: Namespace) {
  const subject = namespace.subject('bench.echo');
  const responder = nats.subscribe(subject, {
    callback: (_error, message) => {
      message.respond(message.data);
    },
  });
  await nats.flush();
  try {
    const send = async () => {
      await nats.request(subject, '{}', { timeout: 5000 });
    };
    await steady(send, 2);
    return await steady(send, seconds);
  } finally {
    responder.unsubscribe();
  }
}

/** Waits until the service answers checks (it migrates nothing; it connects and subscribes). */
async function untilAnswering(rpc: NatsRpcClient, actor: Principal, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await rpc.request(
        api.check,
        { actorId: actor.userId, permission: 'conversation:message:send' },
        { token, timeoutMs: 1000 },
      );
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolvePause) => setTimeout(resolvePause, 200));
    }
  }
}

/** Checks on compiled permissions of a realistic size (60 rules), timed one by one. */
function benchCached(actor: Principal) {
  const rules = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0
      ? { action: `conversation:message:action-${i}`, subject: 'all' as const }
      : {
          action: `conversation:message:action-${i}`,
          subject: 'conversation' as const,
          conditions: { id: randomUUID() },
        },
  );
  const scoped = rules[1]!;
  const resource = { type: 'conversation' as const, id: (scoped.conditions as { id: string }).id };
  const compiled = new CompiledPermissions(rules);
  const samples = 200_000;
  const latencies = new Float64Array(samples);
  for (let i = 0; i < samples; i += 1) {
    const started = process.hrtime.bigint();
    if (i % 2 === 0) {
      compiled.allows(actor, 'conversation:message:action-0');
    } else {
      compiled.allows(actor, scoped.action, resource);
    }
    latencies[i] = Number(process.hrtime.bigint() - started) / 1000;
  }
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    checks: samples,
    rules: rules.length,
    p50Microseconds: Number(percentile(sorted, 50).toFixed(2)),
    p99Microseconds: Number(percentile(sorted, 99).toFixed(2)),
  };
}

/**
 * 1,000 checks per second over NATS for `seconds`, each timed from send to reply, after a two-second
 * warm-up at the same rate that is not measured (connection pool, JIT). The service keeps no
 * permission cache, so every check reads the database: the cold-cache case.
 */
async function benchNats(rpc: NatsRpcClient, actor: Principal, token: string) {
  const check = async () => {
    await rpc.request(
      api.check,
      { actorId: actor.userId, permission: 'conversation:message:send' },
      { token },
    );
  };
  await steady(check, 2);
  return steady(check, seconds);
}

/** `send` 1,000 times per second for `seconds`, each timed from call to settlement. */
async function steady(send: () => Promise<void>, seconds: number) {
  const rate = 1000;
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  const machine = cpuShareSince();
  const started = performance.now();
  for (let i = 0; i < rate * seconds; i += 1) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) {
      await new Promise((resolvePause) => setTimeout(resolvePause, wait));
    }
    const sent = performance.now();
    inFlight.push(
      send().then(() => {
        latencies.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    checks: latencies.length,
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    machineCpu: machine(),
  };
}

await main();
