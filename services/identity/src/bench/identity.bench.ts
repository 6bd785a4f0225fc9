import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { accessTokenClaims, identityRequests as api } from '@parley/contracts';
import { TokenVerifier } from '@parley/auth';
import { loadConfig } from '@parley/config';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { connectNats, deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import { identityConfig } from '../identity.config.js';
import { startIdentity } from '../identity.app.js';
import { SigningKeysService } from '../keys/signing-keys.service.js';

/**
 * Identity benchmark: logins per second over NATS (real Argon2id parameters, so this measures
 * the password hash), and local access-token verification per second on one core (cold: every
 * token new; warm: tokens already verified once). Prints the figures and writes them to
 * docs/generated/performance-identity.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const database = `parley_bench_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${database}`;
  const namespace = `bench-${randomBytes(3).toString('hex')}`;
  try {
    await runMigrations({
      adminUrl: databaseUrl.toString(),
      schema: 'identity',
      login: { name: 'identity_service' },
      directory: serviceSqlDirectory('identity'),
    });
    const serviceUrl = new URL(databaseUrl);
    serviceUrl.username = 'identity_service';
    serviceUrl.password = '';
    const config = loadConfig(identityConfig, {
      DATABASE_URL: serviceUrl.toString(),
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
      IDENTITY_SIGNING_ALGORITHM: process.env['IDENTITY_SIGNING_ALGORITHM'] ?? 'RS256',
      IDENTITY_PLATFORM_OPERATOR_PASSWORD: 'bench-operator-password',
      IDENTITY_LOGIN_MAX_FAILURES: '100',
    });
    const app = await startIdentity(config);
    const nats = await connectNats({ url: natsUrl, name: 'identity-bench' });
    const rpc = new NatsRpcClient(nats, new Namespace(namespace));
    try {
      const results = {
        machine: `${process.platform} ${process.arch}, node ${process.version}`,
        measuredAt: new Date().toISOString(),
        login: await benchLogin(rpc),
        verification: await benchVerification(
          app.get(SigningKeysService),
          config.IDENTITY_ISSUER,
          config.IDENTITY_AUDIENCE,
        ),
      };
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      const file = resolve(root, 'docs/generated/performance-identity.json');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
      process.stdout.write(`written to ${file}\n`);
    } finally {
      await app.close();
      try {
        await deleteNamespaceStreams(await jetstreamManager(nats), new Namespace(namespace));
      } finally {
        await nats.drain();
      }
    }
  } finally {
    await admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

/** Concurrent logins of one operator account for `seconds`, over NATS request/reply. */
async function benchLogin(rpc: NatsRpcClient) {
  const concurrency = 4;
  const latencies: number[] = [];
  const deadline = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const started = performance.now();
      await rpc.request(api.login, {
        tenant: 'platform',
        email: 'operator@parley.local',
        password: 'bench-operator-password',
      });
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    logins: latencies.length,
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

/** Verification on this thread only (one core): distinct new tokens, then tokens seen before. */
async function benchVerification(keys: SigningKeysService, issuer: string, audience: string) {
  const distinct = 5_000;
  const expiresAt = new Date(Date.now() + 10 * 60_000);
  const tokens: string[] = [];
  for (let i = 0; i < distinct; i += 1) {
    tokens.push(
      await keys.sign(
        {
          [accessTokenClaims.tenantId]: '0193a5e0-0000-7000-8000-000000000001',
          [accessTokenClaims.sessionId]: '0193a5e0-0000-7000-8000-000000000002',
          [accessTokenClaims.userKind]: 'person',
        },
        '0193a5e0-0000-7000-8000-000000000003',
        expiresAt,
      ),
    );
  }
  const jwks = await keys.jwks();
  const cold = new TokenVerifier({ issuer, audience, jwks: () => Promise.resolve(jwks), cacheSize: 0 });
  await cold.verify(tokens[0]);
  let started = performance.now();
  for (const token of tokens) {
    await cold.verify(token);
  }
  const coldPerSecond = Math.round(distinct / ((performance.now() - started) / 1000));

  const warm = new TokenVerifier({ issuer, audience, jwks: () => Promise.resolve(jwks) });
  const working = tokens.slice(0, 1_000);
  for (const token of working) {
    await warm.verify(token);
  }
  const rounds = 200_000;
  started = performance.now();
  for (let i = 0; i < rounds; i += 1) {
    await warm.verify(working[i % working.length]);
  }
  const warmPerSecond = Math.round(rounds / ((performance.now() - started) / 1000));
  return {
    algorithm: process.env['IDENTITY_SIGNING_ALGORITHM'] ?? 'RS256',
    coldPerSecond,
    warmPerSecond,
    distinctTokens: distinct,
    warmWorkingSet: working.length,
  };
}

await main();
