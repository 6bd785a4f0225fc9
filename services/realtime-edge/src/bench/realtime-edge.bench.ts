import 'reflect-metadata';
import { jetstreamManager } from '@nats-io/jetstream';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import {
  conversationRequests,
  identityRequests,
  permissionRequests,
  realtimeCommands as commands,
  realtimeEvents,
  roomSubject,
  type Ack,
  type MessageView,
  type RoomEnvelope,
} from '@parley/contracts';
import { runMigrations, serviceSqlDirectory } from '@parley/db';
import { cpuShareSince, pidsNamed, processCpuSeconds, type CpuShare } from '@parley/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, deleteNamespaceStreams, Namespace, NatsRpcClient } from '@parley/nats';
import { ensureServiceAccount } from '@parley/permissions';

/**
 * Realtime edge benchmark. Starts identity, permission, conversation and three edge instances as
 * their own processes on fresh databases, then drives real Socket.IO clients from this process:
 *
 * - direct messages: BENCH_DM_PAIRS pairs of users, senders on one edge instance and receivers on
 *   the other; the conversation service's own rate without the edge (the floor), throughput of
 *   messages persisted and delivered end to end, then send→receive latency at a steady BENCH_RATE
 *   (1,000) messages per second and at half the measured capacity;
 * - fan-out: one group of BENCH_GROUP_SIZE members, half on each instance, deliveries per second;
 * - memory: resident and heap growth of a fresh edge instance per idle authenticated connection.
 *
 * Each phase records how the machine's CPU time went (busy, idle, stolen by the hypervisor), and
 * each steady run the CPU time each process used per message.
 *
 * Prints the figures and writes them to docs/generated/performance-realtime-edge.json.
 */
const adminUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const seconds = Number(process.env['BENCH_SECONDS'] ?? '10');
const pairs = Number(process.env['BENCH_DM_PAIRS'] ?? '100');
const groupSize = Number(process.env['BENCH_GROUP_SIZE'] ?? '1000');
const fanOutMessages = Number(process.env['BENCH_FANOUT_MESSAGES'] ?? '200');
const idleConnections = Number(process.env['BENCH_CONNECTIONS'] ?? '5000');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

const operatorPassword = 'bench-operator-password';
const accountPassword = 'bench-conversation-account';
const userPassword = 'bench-user-password';

const say = (line: string) => process.stdout.write(`${line}\n`);
const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

interface Memory {
  readonly heapUsed: number;
  readonly rss: number;
}

interface Person {
  readonly id: string;
  readonly token: string;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

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

/** Runs `work` on every item with at most `limit` at once. */
async function inBatches<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
) {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await work(items[index] as T, index);
      }
    }),
  );
  return results;
}

/** The services, each its own process, as deployed. */
class Stack {
  readonly namespace = new Namespace(`bench-${randomBytes(3).toString('hex')}`);
  private readonly databases: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly labels = new Map<ChildProcess, string>();

  /**
   * CPU seconds used so far by every process that takes part, by process id: each service process
   * (by its label), NATS, PostgreSQL's sessions, autovacuum and background processes apart, and
   * this process, which runs the clients.
   */
  cpuSample(): Map<number, { label: string; seconds: number }> {
    const sample = new Map<number, { label: string; seconds: number }>();
    const add = (pid: number, label: string) => {
      const seconds = processCpuSeconds(pid);
      if (seconds !== undefined) {
        sample.set(pid, { label, seconds });
      }
    };
    for (const [child, label] of this.labels) {
      add(child.pid as number, label);
    }
    pidsNamed('nats-server').forEach((pid) => add(pid, 'nats-server'));
    pidsNamed('postgres').forEach((pid) => add(pid, postgresKind(pid)));
    const self = process.cpuUsage();
    sample.set(process.pid, { label: 'clients (this process)', seconds: (self.user + self.system) / 1e6 });
    return sample;
  }

  async database(schema: string, login: string): Promise<string> {
    const name = `parley_bench_${randomBytes(4).toString('hex')}`;
    await admin(adminUrl, `CREATE DATABASE ${name}`);
    this.databases.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    await runMigrations({
      adminUrl: url.toString(),
      schema,
      login: { name: login },
      directory: serviceSqlDirectory(schema.replace(/_/g, '-')),
    });
    url.username = login;
    url.password = '';
    return url.toString();
  }

  /** Starts `services/<name>/dist/main.js`; resolves with its base URL once it is ready. */
  async start(name: string, env: Record<string, string>, label = name): Promise<string> {
    const port = await freePort();
    const child = spawn(process.execPath, [resolve(root, `services/${name}/dist/main.js`)], {
      env: {
        ...process.env,
        NATS_URL: natsUrl,
        NATS_NAMESPACE: this.namespace.prefix,
        HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
        RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.push(child);
    this.labels.set(child, label);
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`${name} exited during start-up`);
      }
      try {
        if ((await fetch(`${base}/health/ready`)).status === 200) {
          return base;
        }
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(`${name} was not ready in time`);
      }
      await pause(200);
    }
  }

  /**
   * An edge instance run by `edge-process.js` with `--expose-gc`, which reports its memory after a
   * full collection; resolves with its URL and a function that measures it.
   */
  async measuredEdge(env: Record<string, string>): Promise<{ url: string; memory: () => Promise<Memory> }> {
    const port = await freePort();
    const child = fork(resolve(dirname(fileURLToPath(import.meta.url)), 'edge-process.js'), [], {
      execArgv: ['--expose-gc'],
      env: {
        ...process.env,
        NATS_URL: natsUrl,
        NATS_NAMESPACE: this.namespace.prefix,
        HTTP_PORT: String(port),
        LOG_LEVEL: 'warn',
        RESPONSE_VALIDATION: 'off', // as in production (deploy/kubernetes)
        ...env,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.children.push(child);
    this.labels.set(child, 'realtime-edge (third instance)');
    await new Promise((ready) => child.once('message', ready));
    return {
      url: `http://127.0.0.1:${port}`,
      memory: () =>
        new Promise((answer) => {
          child.once('message', (memory) => answer(memory as Memory));
          child.send('measure');
        }),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise((done) => {
            if (child.exitCode !== null) {
              done(undefined);
              return;
            }
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      ),
    );
    for (const name of this.databases) {
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  }
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true });
  return new Promise((resolveSocket, reject) => {
    socket.once('connect', () => resolveSocket(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

async function call<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  const reply = (await socket.timeout(30_000).emitWithAck(event, payload)) as Ack<T>;
  if (!reply.ok) {
    throw new Error(`${event}: ${reply.error.code} ${reply.error.message}`);
  }
  return reply.data;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      return false;
    }
    await pause(20);
  }
  return true;
}

async function main(): Promise<void> {
  const stack = new Stack();
  // Interrupted: stop the services and drop the databases before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stack.stop().finally(() => process.exit(130));
    });
  }
  const nats = await connectNats({ url: natsUrl, name: 'realtime-edge-bench' });
  const rpc = new NatsRpcClient(nats, stack.namespace);
  const sockets: Socket[] = [];
  try {
    say('starting identity, permission, conversation and two edge instances…');
    const identityDb = await stack.database('identity', 'identity_service');
    const permissionDb = await stack.database('permission', 'permission_service');
    const conversationDb = await stack.database('conversation', 'conversation_service');
    await stack.start('identity', {
      DATABASE_URL: identityDb,
      IDENTITY_PLATFORM_OPERATOR_PASSWORD: operatorPassword,
      IDENTITY_ACCESS_TOKEN_TTL: '1h',
    });
    await stack.start('permission', { DATABASE_URL: permissionDb });
    const operator = await rpc.request(identityRequests.login, {
      tenant: 'platform',
      email: 'operator@parley.local',
      password: operatorPassword,
    });
    await untilHeld(rpc, operator.user.id, operator.accessToken, 'permission:assignment:create');
    // The conversation service's own account, as the set-up Job makes it in a deployment.
    await ensureServiceAccount({
      rpc,
      operator: { email: 'operator@parley.local', password: operatorPassword },
      account: {
        tenant: 'platform',
        email: 'conversation@parley.bench',
        password: accountPassword,
        fullName: 'Conversation',
      },
    });
    await stack.start('conversation', {
      DATABASE_URL: conversationDb,
      SERVICE_ACCOUNT_TENANT: 'platform',
      SERVICE_ACCOUNT_EMAIL: 'conversation@parley.bench',
      SERVICE_ACCOUNT_PASSWORD: accountPassword,
    });
    const edgeEnv = {
      REALTIME_SOCKET_RATE: '100000',
      REALTIME_SOCKET_BURST: '100000',
      REALTIME_USER_RATE: '100000',
      REALTIME_USER_BURST: '100000',
    };
    const edgeA = await stack.start('realtime-edge', edgeEnv, 'realtime-edge (senders)');
    const edgeB = await stack.start('realtime-edge', edgeEnv, 'realtime-edge (receivers)');
    const edgeIdle = await stack.measuredEdge(edgeEnv);

    const people = Math.max(groupSize, pairs * 2);
    say(`registering ${people} people (production password hashing)…`);
    const slug = `bench-${randomBytes(3).toString('hex')}`;
    const tenant = await rpc.request(
      identityRequests.createTenant,
      { slug, name: 'Benchmark', allowsSelfRegistration: true },
      { token: operator.accessToken },
    );
    const users = await inBatches(
      Array.from({ length: people }, (_, i) => i),
      8,
      async (i) => {
        const email = `user-${i}@${slug}.bench`;
        await rpc.request(identityRequests.registerUser, {
          tenant: slug,
          email,
          password: userPassword,
          fullName: `User ${i}`,
        });
        const pair = await rpc.request(identityRequests.login, {
          tenant: slug,
          email,
          password: userPassword,
        });
        return { id: pair.user.id, token: pair.accessToken } satisfies Person;
      },
    );
    await inBatches(users, 16, (user) =>
      untilHeld(rpc, user.id, user.token, 'conversation:conversation:create'),
    );

    const directMessages = await benchDirectMessages(stack, rpc, edgeA, edgeB, users, sockets);
    closeAll(sockets);
    const fanOut = await benchFanOut(
      nats,
      stack.namespace,
      tenant.id,
      edgeA,
      edgeB,
      users.slice(0, groupSize),
      sockets,
    );
    closeAll(sockets);
    await pause(3000);
    const idle = await benchIdleMemory(edgeIdle, users, sockets);
    closeAll(sockets);

    const results = {
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      measuredAt: new Date().toISOString(),
      conditions:
        'identity, permission, conversation and two edge instances as separate processes (a third, fresh one ' +
        'for memory), PostgreSQL and NATS on the same machine, every client in this process over WebSocket',
      directMessages,
      fanOut,
      idle,
    };
    say(JSON.stringify(results, null, 2));
    const file = resolve(root, 'docs/generated/performance-realtime-edge.json');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    closeAll(sockets);
    await stack.stop();
    try {
      await deleteNamespaceStreams(await jetstreamManager(nats), stack.namespace);
    } finally {
      await nats.drain();
    }
  }
}

/** What a PostgreSQL process does, from the title it gives itself ("postgres: 15/main: …"). */
function postgresKind(pid: number): string {
  let title: string;
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return 'postgresql (background)';
  }
  if (title.includes('autovacuum worker')) {
    return 'postgresql (autovacuum)';
  }
  const background = [
    'checkpointer',
    'background writer',
    'walwriter',
    'autovacuum launcher',
    'logical replication',
    'stats',
  ];
  if (!title.startsWith('postgres: ') || background.some((kind) => title.includes(kind))) {
    return 'postgresql (background)';
  }
  return 'postgresql (sessions)';
}

function closeAll(sockets: Socket[]): void {
  for (const socket of sockets.splice(0)) {
    socket.close();
  }
}

async function untilHeld(
  rpc: NatsRpcClient,
  actorId: string,
  token: string,
  permission: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = await rpc.request(permissionRequests.check, { actorId, permission }, { token });
    if (answer.allowed) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${actorId} does not hold ${permission}`);
    }
    await pause(100);
  }
}

/** Senders on one instance, receivers on the other, one direct conversation per pair. */
async function benchDirectMessages(
  stack: Stack,
  rpc: NatsRpcClient,
  edgeA: string,
  edgeB: string,
  users: readonly Person[],
  sockets: Socket[],
) {
  say(`direct messages: ${pairs} pairs…`);
  const body = 'x'.repeat(100);
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  let received = 0;
  const lanes = await inBatches(
    Array.from({ length: pairs }, (_, i) => i),
    20,
    async (i) => {
      const from = users[2 * i] as Person;
      const sender = await connect(edgeA, from.token);
      const receiver = await connect(edgeB, (users[2 * i + 1] as Person).token);
      sockets.push(sender, receiver);
      const conversation = await call<{ id: string; lastSequence: number }>(
        sender,
        commands.conversationDirect.event,
        {
          userId: (users[2 * i + 1] as Person).id,
        },
      );
      const sync = await call<{ conversations: Record<string, { status: string }> }>(
        receiver,
        commands.conversationSync.event,
        { conversations: { [conversation.id]: conversation.lastSequence } },
      );
      if (sync.conversations[conversation.id]?.status !== 'synced') {
        throw new Error(`The receiver of pair ${i} cannot follow its conversation`);
      }
      receiver.on(realtimeEvents.messageNew.event, (message: MessageView) => {
        received += 1;
        const started = sentAt.get(message.clientMessageId);
        if (started !== undefined) {
          sentAt.delete(message.clientMessageId);
          latencies.push(performance.now() - started);
        }
      });
      return { sender, token: from.token, conversationId: conversation.id };
    },
  );
  type Lane = (typeof lanes)[number];
  let failed = 0;
  const send = async (lane: Lane) => {
    const clientMessageId = randomUUID();
    sentAt.set(clientMessageId, performance.now());
    try {
      await call(lane.sender, commands.messageSend.event, {
        conversationId: lane.conversationId,
        clientMessageId,
        body,
      });
    } catch {
      failed += 1;
      sentAt.delete(clientMessageId);
    }
  };
  /** Every lane sends one message after another for the window; returns how many went. */
  const saturateFor = async (windowSeconds: number, one: (lane: Lane) => Promise<void>) => {
    let count = 0;
    const stopAt = performance.now() + windowSeconds * 1000;
    await Promise.all(
      lanes.map(async (lane) => {
        while (performance.now() < stopAt) {
          await one(lane);
          count += 1;
        }
      }),
    );
    return count;
  };
  const saturate = (one: (lane: Lane) => Promise<void>) => saturateFor(seconds, one);

  // Warm-up (code, caches, connections), not measured.
  await saturateFor(2, send);

  // The floor: the same sends straight to the conversation service over NATS, without the edge.
  let machine = cpuShareSince();
  let started = performance.now();
  const direct = await saturate(async (lane) => {
    await rpc.request(
      conversationRequests.send,
      { conversationId: lane.conversationId, clientMessageId: randomUUID(), body },
      { token: lane.token },
    );
  });
  const directSeconds = (performance.now() - started) / 1000;
  const directMachine = machine();
  await until(() => sentAt.size === 0, 30_000);
  await pause(2000);

  // Through the edge: persisted and delivered to the receiver, end to end.
  latencies = [];
  const receivedBefore = received;
  machine = cpuShareSince();
  started = performance.now();
  const acked = await saturate(send);
  await until(() => received - receivedBefore >= acked - failed, 30_000);
  const elapsed = (performance.now() - started) / 1000;
  const delivered = received - receivedBefore;
  const saturated = summary(latencies);
  const saturatedMachine: CpuShare | undefined = machine();

  /** Sends at a steady rate across the lanes for the window, after a warm-up; send→receive latency. */
  let lane = 0;
  const steady = async (rate: number) => {
    const run = async (durationSeconds: number) => {
      const pending: Array<Promise<void>> = [];
      const tick = 10;
      const perTick = (rate * tick) / 1000;
      let owed = 0;
      const ends = performance.now() + durationSeconds * 1000;
      while (performance.now() < ends) {
        const tickStarted = performance.now();
        owed += perTick;
        for (; owed >= 1; owed -= 1) {
          pending.push(send(lanes[lane % lanes.length] as Lane));
          lane += 1;
        }
        await pause(Math.max(0, tick - (performance.now() - tickStarted)));
      }
      await Promise.all(pending);
    };
    await run(2);
    await until(() => sentAt.size === 0, 30_000);
    latencies = [];
    failed = 0;
    const before = received;
    const cpuBefore = stack.cpuSample();
    const atRate = cpuShareSince();
    await run(seconds);
    await until(() => sentAt.size === 0, 30_000);
    const delivered = received - before;
    // By the processes alive at the end: one that exited during the run is not counted.
    const used = new Map<string, number>();
    for (const [pid, { label, seconds: total }] of stack.cpuSample()) {
      used.set(label, (used.get(label) ?? 0) + total - (cpuBefore.get(pid)?.seconds ?? 0));
    }
    const cpuPerMessageMs = Object.fromEntries(
      [...used].map(([label, total]) => [label, round((total * 1000) / Math.max(1, delivered), 3)]),
    );
    return {
      rate,
      seconds,
      delivered,
      failed,
      ...summary(latencies),
      machineCpu: atRate(),
      cpuPerMessageMs,
    };
  };
  // Half the capacity first: an overloaded run leaves work queued in the services behind it.
  const sustainable = Math.max(10, Math.floor(delivered / elapsed / 2 / 10) * 10);
  const atHalfCapacity = await steady(sustainable);
  await pause(5000);
  const atTarget = await steady(Number(process.env['BENCH_RATE'] ?? '1000'));
  return {
    pairs,
    conversationServiceAlone: {
      sent: direct,
      perSecond: round(direct / directSeconds, 0),
      machineCpu: directMachine,
    },
    throughput: {
      seconds: round(elapsed),
      acked,
      delivered,
      perSecond: round(delivered / elapsed, 0),
      ...saturated,
      machineCpu: saturatedMachine,
    },
    latencyAtTargetRate: atTarget,
    latencyAtHalfCapacity: atHalfCapacity,
  };
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/**
 * One group, its members half on each instance. End to end: the owner posts as fast as the
 * conversation service accepts posts to one conversation. Then the edge alone: messages published
 * straight to the group's room subject, as the instance consuming them would, as fast as NATS
 * takes them, which is what the edge instances can deliver.
 */
async function benchFanOut(
  nats: NatsConnection,
  namespace: Namespace,
  tenantId: string,
  edgeA: string,
  edgeB: string,
  members: readonly Person[],
  sockets: Socket[],
) {
  say(`fan-out: a group of ${members.length}…`);
  const memberSockets = await inBatches(members, 50, async (member, i) => {
    const socket = await connect(i % 2 === 0 ? edgeA : edgeB, member.token);
    sockets.push(socket);
    return socket;
  });
  const ownerSocket = memberSockets[0] as Socket;
  const others = members.slice(1);
  const group = await call<{ id: string }>(ownerSocket, commands.conversationCreate.event, {
    title: 'Everyone',
    participants: others.slice(0, 99).map((member) => ({ userId: member.id })),
  });
  for (let from = 99; from < others.length; from += 100) {
    await call(ownerSocket, commands.participantAdd.event, {
      conversationId: group.id,
      participants: others.slice(from, from + 100).map((member) => ({ userId: member.id })),
    });
  }
  // Every member's socket follows the group (it did already when it was added; this makes sure).
  const outcomes = await inBatches(memberSockets, 50, (socket) =>
    call<{ conversations: Record<string, { status: string }> }>(socket, commands.conversationSync.event, {
      conversations: { [group.id]: 0 },
    }),
  );
  const following = outcomes.filter((outcome) => outcome.conversations[group.id]?.status === 'synced').length;
  say(`  ${following} of ${memberSockets.length} members follow the group`);
  const sentAt = new Map<string, number>();
  let latencies: number[] = [];
  let deliveries = 0;
  let last: MessageView | undefined;
  for (const socket of memberSockets) {
    socket.on(realtimeEvents.messageNew.event, (message: MessageView) => {
      deliveries += 1;
      last = message;
      const started = sentAt.get(message.clientMessageId);
      if (started !== undefined) {
        latencies.push(performance.now() - started);
      }
    });
  }

  let expected = fanOutMessages * memberSockets.length;
  let machine = cpuShareSince();
  let started = performance.now();
  await inBatches(
    Array.from({ length: fanOutMessages }, (_, i) => i),
    4,
    async () => {
      const clientMessageId = randomUUID();
      sentAt.set(clientMessageId, performance.now());
      await call(ownerSocket, commands.messageSend.event, {
        conversationId: group.id,
        clientMessageId,
        body: 'y'.repeat(100),
      });
    },
  );
  const complete = await until(() => deliveries >= expected, 120_000);
  let elapsed = (performance.now() - started) / 1000;
  const endToEnd = {
    messages: fanOutMessages,
    deliveries,
    complete,
    seconds: round(elapsed),
    messagesPerSecond: round(fanOutMessages / elapsed, 0),
    deliveriesPerSecond: round(deliveries / elapsed, 0),
    ...summary(latencies),
    machineCpu: machine(),
  };

  // The edge alone: the next messages of the group, published on its room subject at once.
  const injected = Number(process.env['BENCH_FANOUT_INJECTED'] ?? '500');
  const template = last as MessageView;
  const subject = namespace.subject(roomSubject({ tenantId, kind: 'conversation', id: group.id }));
  deliveries = 0;
  latencies = [];
  expected = injected * memberSockets.length;
  machine = cpuShareSince();
  started = performance.now();
  for (let i = 1; i <= injected; i += 1) {
    const sequence = (template.sequence as number) + i;
    const clientMessageId = randomUUID();
    sentAt.set(clientMessageId, performance.now());
    const envelope: RoomEnvelope = {
      kind: 'emit',
      event: realtimeEvents.messageNew.event,
      data: { ...template, id: randomUUID(), clientMessageId, sequence },
      order: { sequence, creates: true },
      at: Date.now(),
    };
    nats.publish(subject, JSON.stringify(envelope));
    if (i % 50 === 0) {
      // Let the clients read, as they would between bursts.
      await pause(0);
    }
  }
  const injectedComplete = await until(() => deliveries >= expected, 120_000);
  elapsed = (performance.now() - started) / 1000;
  return {
    members: memberSockets.length,
    endToEnd,
    edgeOnly: {
      messages: injected,
      deliveries,
      complete: injectedComplete,
      seconds: round(elapsed),
      deliveriesPerSecond: round(deliveries / elapsed, 0),
      ...summary(latencies),
      machineCpu: machine(),
    },
  };
}

/**
 * Memory of an edge instance that has served nothing else, after a full garbage collection:
 * before, and with `idleConnections` authenticated sockets doing nothing.
 */
async function benchIdleMemory(
  edge: { url: string; memory: () => Promise<Memory> },
  users: readonly Person[],
  sockets: Socket[],
) {
  say(`memory: ${idleConnections} idle connections to one instance…`);
  // A few connections first, so that code compiled on first use does not count.
  const warmUp = await Promise.all(users.slice(0, 20).map((user) => connect(edge.url, user.token)));
  closeAll(warmUp);
  await pause(2000);
  const before = await edge.memory();
  await inBatches(
    Array.from({ length: idleConnections }, (_, i) => i),
    50,
    async (i) => {
      sockets.push(await connect(edge.url, (users[i % users.length] as Person).token));
    },
  );
  await pause(5000);
  const after = await edge.memory();
  return {
    connections: idleConnections,
    users: Math.min(users.length, idleConnections),
    heapBytesBefore: before.heapUsed,
    heapBytesAfter: after.heapUsed,
    heapBytesPerConnection: Math.round((after.heapUsed - before.heapUsed) / idleConnections),
    rssBytesPerConnection: Math.round((after.rss - before.rss) / idleConnections),
  };
}

await main();
