import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { io, type Socket } from 'socket.io-client';
import {
  identityRequests,
  type Ack,
  type CommandAckOf,
  type CommandPayloadOf,
  type ErrorEnvelope,
  type Principal,
  type SocketCommand,
} from '@parley/contracts';
import { loadConfig } from '@parley/config';
import {
  connectNats,
  EventPublisher,
  Namespace,
  NatsRpcClient,
  provisionServiceEventStream,
} from '@parley/nats';
import { natsUrl, uniqueNamespace } from '@parley/testing';
import { realtimeEdgeConfig, type RealtimeEdgeConfig } from '../src/realtime-edge.config.js';
import { startRealtimeEdge } from '../src/realtime-edge.app.js';

export const testIssuer = 'parley-identity';
export const testAudience = 'parley';

/** One edge instance in a namespace. */
export interface EdgeUnderTest {
  readonly app: INestApplication;
  readonly config: RealtimeEdgeConfig;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  stop(): Promise<void>;
}

/** An edge instance in the namespace (beside the services of a test), on a free port. */
export async function startEdge(namespace: string, env: Record<string, string> = {}): Promise<EdgeUnderTest> {
  const config = loadConfig(realtimeEdgeConfig, {
    NATS_URL: natsUrl(),
    NATS_NAMESPACE: namespace,
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const app = await startRealtimeEdge(config);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let stopped = false;
  return {
    app,
    config,
    url,
    async stop() {
      if (!stopped) {
        stopped = true;
        await app.close();
      }
    },
  };
}

/** A key that signs access tokens like identity's, with any claim overridable for negative cases. */
export interface Signer {
  readonly jwks: { keys: JWK[] };
  token(principal: Principal, claims?: TokenOverrides): Promise<string>;
}

export interface TokenOverrides {
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch. */
  expiresAt?: number;
  /** Another key's private key: a valid token that the key set does not verify. */
  key?: CryptoKey;
}

export async function createSigner(): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `edge-test-${randomUUID()}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    token: (principal, claims = {}) =>
      new SignJWT({ tenant_id: principal.tenantId, sid: principal.sessionId, user_kind: principal.kind })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject(principal.userId)
        .setIssuer(claims.issuer ?? testIssuer)
        .setAudience(claims.audience ?? testAudience)
        .setIssuedAt()
        .setExpirationTime(claims.expiresAt ?? Math.floor(Date.now() / 1000) + 3600)
        .setJti(randomUUID())
        .sign(claims.key ?? privateKey),
  };
}

export function newPrincipal(tenantId: string = randomUUID()): Principal {
  return { userId: randomUUID(), tenantId, sessionId: randomUUID(), kind: 'person' };
}

/**
 * Edge instances on their own, without identity, permission or conversation: a stand-in answers
 * identity's key set with a test signer. For what the edge decides alone (handshakes, limits,
 * presence); the permission service is absent, so nobody is an administrator.
 */
export interface StandaloneEdges {
  readonly namespace: Namespace;
  readonly nats: NatsConnection;
  readonly rpc: NatsRpcClient;
  readonly signer: Signer;
  /** Publishes events as the services' outbox relays would. */
  readonly publisher: EventPublisher;
  readonly edges: EdgeUnderTest[];
  startEdge(env?: Record<string, string>): Promise<EdgeUnderTest>;
  stop(): Promise<void>;
}

export async function startStandaloneEdges(
  count: number,
  env: Record<string, string> = {},
): Promise<StandaloneEdges> {
  const namespace = new Namespace(uniqueNamespace());
  const nats = await connectNats({ url: natsUrl(), name: 'realtime-edge-test-client' });
  const signer = await createSigner();
  // The streams the edge consumes, as their services would have made them.
  const jsm = await jetstreamManager(nats);
  for (const service of ['identity', 'conversation', 'notification'] as const) {
    await provisionServiceEventStream(jsm, namespace, service);
  }
  const jwks: Subscription = nats.subscribe(namespace.subject(identityRequests.getJwks.subject), {
    callback: (_error, message) => {
      message.respond(JSON.stringify({ ok: true, data: signer.jwks }));
    },
  });
  const edges: EdgeUnderTest[] = [];
  const stop = async () => {
    for (const edge of edges.splice(0)) {
      await edge.stop();
    }
    jwks.unsubscribe();
    await nats.drain();
  };
  try {
    const started = {
      namespace,
      nats,
      rpc: new NatsRpcClient(nats, namespace),
      signer,
      publisher: new EventPublisher(nats, namespace),
      edges,
      async startEdge(extra: Record<string, string> = {}) {
        const edge = await startEdge(namespace.prefix, { ...env, ...extra });
        edges.push(edge);
        return edge;
      },
      stop,
    };
    for (let i = 0; i < count; i += 1) {
      await started.startEdge();
    }
    return started;
  } catch (error) {
    await stop();
    throw error;
  }
}

// --- clients -------------------------------------------------------------------------------------

export interface ConnectOptions {
  /** How the token travels; `auth` when omitted. */
  transport?: 'auth' | 'header' | 'query';
}

/** What `connect` rejects with when the edge refuses the handshake. */
export class Refused extends Error {
  constructor(readonly data: ErrorEnvelope) {
    super(`Refused: ${data.code} ${String(data.details?.['reason'])}`);
  }
}

/** A socket.io-client connected to the edge (no automatic reconnection), or the refusal. */
export function connect(
  url: string,
  token: string | undefined,
  options: ConnectOptions = {},
): Promise<Socket> {
  const transport = options.transport ?? 'auth';
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(token === undefined
      ? {}
      : transport === 'auth'
        ? { auth: { token } }
        : transport === 'header'
          ? { extraHeaders: { authorization: `Bearer ${token}` } }
          : { query: { token } }),
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error: Error & { data?: ErrorEnvelope }) => {
      socket.close();
      reject(error.data === undefined ? error : new Refused(error.data));
    });
  });
}

/** The refusal of a handshake that was expected to fail. */
export async function refusalOf(promise: Promise<Socket>): Promise<ErrorEnvelope> {
  try {
    const socket = await promise;
    socket.close();
  } catch (error) {
    if (error instanceof Refused) {
      return error.data;
    }
    throw error;
  }
  throw new Error('Expected the handshake to be refused');
}

/** Sends a command and waits for its acknowledgement. */
export async function command<C extends SocketCommand>(
  socket: Socket,
  contract: C,
  payload: CommandPayloadOf<C>,
): Promise<Ack<CommandAckOf<C>>> {
  return (await socket.timeout(10_000).emitWithAck(contract.event, payload)) as Ack<CommandAckOf<C>>;
}

/** The data of a command expected to succeed. */
export async function succeed<C extends SocketCommand>(
  socket: Socket,
  contract: C,
  payload: CommandPayloadOf<C>,
): Promise<CommandAckOf<C>> {
  const reply = await command(socket, contract, payload);
  if (!reply.ok) {
    throw new Error(`${contract.event} failed: ${JSON.stringify(reply.error)}`);
  }
  return reply.data;
}

/** Everything a socket receives, by event, in arrival order. */
export class Inbox {
  readonly events: Array<{ event: string; data: unknown }> = [];

  constructor(socket: Socket) {
    socket.onAny((event: string, data: unknown) => {
      this.events.push({ event, data });
    });
  }

  of<T = Record<string, unknown>>(event: string): T[] {
    return this.events.filter((entry) => entry.event === event).map((entry) => entry.data as T);
  }

  /** Waits until `count` events of the kind arrived (and matches them); returns them. */
  async waitFor<T = Record<string, unknown>>(
    event: string,
    count = 1,
    match: (data: T) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of<T>(event).filter(match);
      if (found.length >= count) {
        return found;
      }
      if (Date.now() > deadline) {
        throw new Error(`Expected ${count} ${event} events, got ${found.length}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  clear(): void {
    this.events.length = 0;
  }
}

/** Resolves when the socket is disconnected; with the reason. */
export function disconnected(socket: Socket, timeoutMs = 10_000): Promise<string> {
  if (socket.disconnected) {
    return Promise.resolve('already');
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The socket stayed connected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
