import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import {
  conversationEvents,
  realtimeCommands,
  realtimeEvents,
  realtimeListLimits,
  type Ack,
  type CommandAckOf,
  type CommandPayloadOf,
  type ErrorEnvelope,
  type MessageView,
  type RealtimeEvents,
  type SocketCommand,
  type SocketEventPayloadOf,
  type SyncOutcome,
} from '@parley/contracts';
import { ConversationPositions, type Change, type Standpoint } from './conversation-positions.js';

/** Every server event by name, with its payload. */
export type ServerEvents = {
  [K in keyof RealtimeEvents as RealtimeEvents[K]['event']]: SocketEventPayloadOf<RealtimeEvents[K]>;
};
export type ServerEventName = keyof ServerEvents;

/** The access token, or where to get a fresh one (called at every connection and before expiry). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ParleyClientOptions {
  /** The edge, e.g. `https://chat.example.com` (Socket.IO path `/socket.io/`). */
  readonly url: string;
  readonly token: TokenSource;
  /**
   * Conversations to follow from the start, with where the client stands in each (what `followed()`
   * returned): the last sequence number seen, and the revision number when changes to the
   * messages the client has are wanted too.
   */
  readonly conversations?: Readonly<Record<string, Standpoint>>;
  /** How long a command may wait for its acknowledgement; 10 s when omitted. */
  readonly ackTimeoutMs?: number;
  /**
   * How long `sendMessage` keeps trying, over lost acknowledgements, reconnections and rate
   * limits, with the same client message id (so the message is posted once); 60 s when omitted.
   */
  readonly sendRetryMs?: number;
  /** Socket.IO client options over the defaults (WebSocket only, reconnection on). */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
}

/** A refused command or connection: the error envelope of the edge or of the service behind it. */
export class ParleyClientError extends Error {
  override readonly name = 'ParleyClientError';
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(envelope: ErrorEnvelope) {
    super(envelope.message);
    this.code = envelope.code;
    this.details = envelope.details;
  }
}

type Handler<N extends ServerEventName> = (payload: ServerEvents[N]) => void;

/** What the catch-up after a connection found: the outcome of every conversation it synced. */
export interface Resumption {
  /** False for the first connection, true for every one after it. */
  reconnection: boolean;
  /**
   * `refused` with `forbidden` or `not_found`: no longer readable (left, removed, deleted while
   * away), and no longer followed; with another code (a service unavailable for a moment), still
   * followed, and synced again at the next connection.
   */
  conversations: Record<string, SyncOutcome>;
}

const events = realtimeEvents;
const createdPayload = conversationEvents.conversationCreated.payload;
const joinedPayload = conversationEvents.participantJoined.payload;
const leftPayload = conversationEvents.participantLeft.payload;

/**
 * The client of the realtime edge, for browsers and Node.
 *
 * - Connects over WebSocket with the access token in the handshake's `auth`, asking `token` again
 *   at every (re)connection, and sends `auth:refresh` when the edge warns the token expires.
 * - Keeps the last sequence number of every conversation it follows; after each (re)connection, to
 *   whichever edge instance, it sends `conversation:sync` with them, so the missed messages arrive
 *   first, in order, then the live ones. `message:new` handlers see each message once, in order;
 *   a gap (which the edge prevents) makes it sync that conversation again.
 * - Commands return the acknowledgement's data, or throw `ParleyClientError` with its code.
 */
export class ParleyClient {
  readonly socket: Socket;
  private readonly positions = new ConversationPositions();
  private readonly focused = new Set<string>();
  private readonly handlers = new Map<string, Set<(payload: never) => void>>();
  private readonly resumedHandlers = new Set<(resumption: Resumption) => unknown>();
  /** Whether a connection was made before: every catch-up after the first is a reconnection's. */
  private connectedBefore = false;
  private readonly resyncing = new Set<string>();
  private readonly ackTimeoutMs: number;
  private readonly sendRetryMs: number;
  /** Until `connect()`, and from `disconnect()`: nothing is retried. */
  private closed = true;
  /** Wakes the retries waiting for a pause or a reconnection (`disconnect()` ends them). */
  private readonly waiting = new Set<() => void>();
  private readonly token: TokenSource;
  /** The token last handed to the edge: whose connection this is. */
  private currentToken: string | undefined;
  private resuming: Promise<void> = Promise.resolve();
  /** Conversations with a missing revision, waiting to be synced again should it stay missing. */
  private readonly gapChecks = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: ParleyClientOptions) {
    this.token = options.token;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.sendRetryMs = options.sendRetryMs ?? 60_000;
    for (const [conversationId, standpoint] of Object.entries(options.conversations ?? {})) {
      this.positions.place(conversationId.toLowerCase(), standpoint);
    }
    this.socket = io(options.url, {
      transports: ['websocket'],
      autoConnect: false,
      ...options.socket,
      auth: (callback) => {
        this.freshToken().then(
          (token) => callback({ token }),
          () => callback({}),
        );
      },
    });
    this.socket.on('connect', () => {
      this.resuming = this.resume();
    });
    this.socket.onAny((event: string, payload: unknown) => this.received(event, payload));
  }

  /**
   * Connects and catches up on the conversations followed; rejects with the edge's refusal (its
   * reason in `details.reason`).
   */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const connected = () => {
        this.socket.off('connect_error', refused);
        void this.resuming.then(resolve);
      };
      const refused = (error: Error & { data?: ErrorEnvelope }) => {
        if (error.data !== undefined) {
          this.socket.off('connect', connected);
          reject(new ParleyClientError(error.data));
        }
      };
      this.socket.once('connect', connected);
      this.socket.on('connect_error', refused);
      this.closed = false;
      this.socket.connect();
    });
  }

  disconnect(): void {
    this.closed = true;
    for (const timer of this.gapChecks.values()) {
      clearTimeout(timer);
    }
    this.gapChecks.clear();
    for (const wake of [...this.waiting]) {
      wake();
    }
    this.socket.disconnect();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Sends a command; resolves with the acknowledgement's data. */
  async send<C extends SocketCommand>(command: C, payload: CommandPayloadOf<C>): Promise<CommandAckOf<C>> {
    const reply = (await this.socket.timeout(this.ackTimeoutMs).emitWithAck(command.event, payload)) as Ack<
      CommandAckOf<C>
    >;
    if (!reply.ok) {
      throw new ParleyClientError(reply.error);
    }
    return reply.data;
  }

  /**
   * Sends a message, with a fresh client message id unless one is given. An acknowledgement that
   * does not come (a dropped connection, a slow edge), `unavailable` and `rate_limited` are tried
   * again with the same id, after the reconnection, the edge's `retryAfterMs` or a growing pause,
   * for up to `sendRetryMs`: the service posts a message once per id, so a retry never posts it
   * twice. A refusal is thrown at once. What is thrown at the end names the id in
   * `details.clientMessageId`, to send again later with it.
   */
  async sendMessage(
    message: Omit<CommandPayloadOf<typeof realtimeCommands.messageSend>, 'clientMessageId'> & {
      clientMessageId?: string;
    },
  ): Promise<CommandAckOf<typeof realtimeCommands.messageSend>> {
    const clientMessageId = message.clientMessageId ?? newClientMessageId();
    const payload = { ...message, clientMessageId };
    const deadline = Date.now() + this.sendRetryMs;
    for (let attempt = 1; ; attempt += 1) {
      let failure: ParleyClientError;
      try {
        return await this.send(realtimeCommands.messageSend, payload);
      } catch (error) {
        failure = error instanceof ParleyClientError ? error : unanswered(error);
      }
      const pause = retryPause(failure, attempt);
      const retry =
        pause !== undefined &&
        !this.closed &&
        Date.now() + pause < deadline &&
        (await this.pauseOrReconnection(pause, deadline));
      if (!retry) {
        throw new ParleyClientError({
          code: failure.code as ErrorEnvelope['code'],
          message: failure.message,
          details: { ...failure.details, clientMessageId, attempts: attempt },
        });
      }
    }
  }

  /**
   * Follows a conversation from where the client stands (known, given, or from the start). A
   * standpoint with a revision number also brings the changed messages (`message:refreshed`).
   */
  async follow(id: string, from?: Standpoint): Promise<SyncOutcome> {
    // Ids are lower case on the wire, whatever case they were given in.
    const conversationId = id.toLowerCase();
    if (from !== undefined) {
      this.positions.place(conversationId, from);
    } else if (!this.positions.has(conversationId)) {
      this.positions.set(conversationId, 0);
    }
    const standpoint = this.positions.snapshot()[conversationId] as Standpoint;
    const answer = await this.send(realtimeCommands.conversationSync, {
      conversations: { [conversationId]: standpoint },
    });
    const outcome = answer.conversations[conversationId] as SyncOutcome;
    this.settle(conversationId, outcome);
    return outcome;
  }

  /**
   * Follows every conversation of the user that it does not follow yet (one joined while away, or
   * before the application kept its standpoints) from the user's read position in it: its unread
   * messages arrive as `message:new`, then the live ones. Reads the whole conversation list, 100 a
   * page; returns the outcome of each conversation it began to follow.
   */
  async followMine(): Promise<Record<string, SyncOutcome>> {
    const fresh: Record<string, Standpoint> = {};
    let cursor: string | undefined;
    do {
      const page = await this.send(realtimeCommands.conversationList, {
        limit: 100,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const { conversation, me } of page.items) {
        const conversationId = conversation.id.toLowerCase();
        if (!this.positions.has(conversationId)) {
          fresh[conversationId] = me.lastReadSequence;
          this.positions.place(conversationId, me.lastReadSequence);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return this.sync(fresh);
  }

  async unfollow(id: string): Promise<void> {
    const conversationId = id.toLowerCase();
    this.positions.forget(conversationId);
    await this.send(realtimeCommands.conversationUnsubscribe, { conversationId });
  }

  /** The last sequence number seen in a followed conversation. */
  lastSequence(conversationId: string): number | undefined {
    return this.positions.get(conversationId.toLowerCase());
  }

  /** The revision number up to which every change in a followed conversation was seen. */
  lastRevision(conversationId: string): number | undefined {
    return this.positions.revision(conversationId.toLowerCase());
  }

  /**
   * Every followed conversation with where the client stands in it: what an application keeps (in
   * storage) to give as `conversations` to the next client, on this device or after a restart.
   */
  followed(): Record<string, Standpoint> {
    return this.positions.snapshot();
  }

  /** The conversation is on screen (notifications about it are left out); kept across reconnections. */
  async focus(id: string): Promise<void> {
    const conversationId = id.toLowerCase();
    this.focused.add(conversationId);
    await this.send(realtimeCommands.conversationFocus, { conversationId });
  }

  async blur(id: string): Promise<void> {
    const conversationId = id.toLowerCase();
    this.focused.delete(conversationId);
    await this.send(realtimeCommands.conversationBlur, { conversationId });
  }

  /**
   * Listens for the end of each connection's catch-up (the followed conversations synced, focus
   * restored); returns what stops listening. Events replay messages and their changes, not the
   * rest: after a reconnection, reload what else may have changed while away — the list of
   * conversations (one joined then is not followed yet), their settings and participants. What a
   * handler throws, or its promise rejects with, comes as an `error` event.
   */
  onResumed(handler: (resumption: Resumption) => unknown): () => void {
    this.resumedHandlers.add(handler);
    return () => {
      this.resumedHandlers.delete(handler);
    };
  }

  /** Listens to a server event; returns what stops listening. */
  on<N extends ServerEventName>(event: N, handler: Handler<N>): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    const stored = handler as (payload: never) => void;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  /**
   * Waits `pause`, and while disconnected until connected again; false when sending again is
   * pointless: `disconnect()` was called, the edge ended the connection, or the deadline came
   * without a connection.
   */
  private async pauseOrReconnection(pause: number, deadline: number): Promise<boolean> {
    await this.wait(pause, () => false);
    // Not active: the edge ended the connection, and Socket.IO will not connect again by itself.
    if (!this.closed && !this.socket.connected && this.socket.active) {
      await this.wait(Math.max(0, deadline - Date.now()), (wake) => {
        this.socket.once('connect', wake);
        return () => this.socket.off('connect', wake);
      });
      // The edge needs the catch-up first, which starts at the connection.
      await this.resuming;
    }
    return !this.closed && this.socket.connected;
  }

  /** Waits `ms`, or less when `disconnect()` or what `watch` sets up wakes it first. */
  private wait(ms: number, watch: (wake: () => void) => (() => void) | false): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        if (unwatch !== false) {
          unwatch();
        }
        this.waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      const unwatch = watch(wake);
      this.waiting.add(wake);
    });
  }

  private async freshToken(): Promise<string> {
    this.currentToken = typeof this.token === 'string' ? this.token : await this.token();
    return this.currentToken;
  }

  /** After every (re)connection: catch up on every followed conversation, restore focus. */
  private async resume(): Promise<void> {
    const conversations = this.positions.snapshot();
    const reconnection = this.connectedBefore;
    this.connectedBefore = true;
    try {
      const outcomes = await this.sync(conversations);
      for (const conversationId of this.focused) {
        await this.send(realtimeCommands.conversationFocus, { conversationId });
      }
      for (const handler of this.resumedHandlers) {
        this.runHandler(() => handler({ reconnection, conversations: outcomes }));
      }
    } catch (error) {
      this.deliver(events.error.event, toSocketError(error));
    }
  }

  /**
   * Runs an application's handler: what it throws, or what its promise rejects with (a
   * `followMine()` that met a dropped connection), becomes an `error` event, not an unhandled
   * rejection, and the other handlers still run.
   */
  private runHandler(call: () => unknown): void {
    try {
      const result = call();
      if (result instanceof Promise) {
        result.catch((error: unknown) => this.deliver(events.error.event, toSocketError(error)));
      }
    } catch (error) {
      this.deliver(events.error.event, toSocketError(error));
    }
  }

  /** Syncs conversations, as many at once as the edge takes, and settles each outcome. */
  private async sync(conversations: Record<string, Standpoint>): Promise<Record<string, SyncOutcome>> {
    const entries = Object.entries(conversations);
    const outcomes: Record<string, SyncOutcome> = {};
    for (let start = 0; start < entries.length; start += realtimeListLimits.syncConversations) {
      const chunk = Object.fromEntries(entries.slice(start, start + realtimeListLimits.syncConversations));
      const answer = await this.send(realtimeCommands.conversationSync, { conversations: chunk });
      for (const [conversationId, outcome] of Object.entries(answer.conversations)) {
        this.settle(conversationId, outcome);
        outcomes[conversationId] = outcome;
      }
    }
    return outcomes;
  }

  private settle(conversationId: string, outcome: SyncOutcome): void {
    if (outcome.status === 'refused') {
      if (outcome.error.code === 'forbidden' || outcome.error.code === 'not_found') {
        // Not (or no longer) readable: stop asking for it. Any other refusal (a service
        // unavailable for a moment) keeps the position, for the next sync to try again.
        this.positions.forget(conversationId);
      }
    } else {
      this.positions.set(conversationId, outcome.lastSequence);
      this.positions.setRevision(conversationId, outcome.lastRevision);
    }
  }

  private received(event: string, payload: unknown): void {
    switch (event) {
      case events.messageNew.event:
        this.receivedMessage(payload as MessageView);
        return;
      case events.messageRefreshed.event: {
        const message = payload as MessageView;
        this.positions.noteState(message.conversationId, message.id, message.revision, true);
        break;
      }
      case events.messageUpdated.event:
      case events.messageDeleted.event: {
        const { message } = payload as ServerEvents['message:updated'];
        const change = { kind: 'text', messageId: message.id, revision: message.revision } as const;
        if (!this.isNewChange(message.conversationId, change)) {
          return;
        }
        break;
      }
      case events.reactionAdded.event:
      case events.reactionRemoved.event: {
        const reaction = payload as ServerEvents['reaction:added'];
        const change = { kind: 'reaction', ...reaction } as const;
        if (!this.isNewChange(reaction.conversationId, change)) {
          return;
        }
        break;
      }
      case events.syncReset.event:
        this.positions.set(
          (payload as ServerEvents['sync:reset']).conversationId,
          (payload as ServerEvents['sync:reset']).lastSequence,
        );
        break;
      case events.authExpiring.event:
        void this.refresh();
        break;
      case events.authEnded.event:
        this.ended(payload as ServerEvents['auth:ended']);
        break;
      default:
        this.track(event, payload);
    }
    this.deliver(event, payload);
  }

  private receivedMessage(message: MessageView): void {
    if (message.sequence === null) {
      this.deliver(events.messageNew.event, message);
      return;
    }
    const arrival = this.positions.accept(message.conversationId, message.sequence);
    if (arrival === 'next') {
      if (message.revision > 0) {
        // Sent by a catch-up as it is now: changes up to its revision are in it.
        this.positions.noteState(message.conversationId, message.id, message.revision, true);
      }
      this.deliver(events.messageNew.event, message);
    } else if (arrival === 'gap' && !this.resyncing.has(message.conversationId)) {
      // The edge sends in order; should one be missing, ask again from the last one seen.
      this.resyncing.add(message.conversationId);
      this.follow(message.conversationId)
        .catch((error: unknown) => this.deliver(events.error.event, toSocketError(error)))
        .finally(() => this.resyncing.delete(message.conversationId));
    }
  }

  /**
   * Whether a change was not seen yet: a catch-up may have sent the message as it is after the
   * change, and a change may come twice. Changes to messages not published (revision 0) concern
   * only their sender and always count. A revision that stays missing (its change came only in a
   * message sent as it is after it) is settled by syncing the conversation again.
   */
  private isNewChange(conversationId: string, change: Change): boolean {
    if (change.revision === 0) {
      return true;
    }
    const isNew = this.positions.acceptChange(conversationId, change);
    if (this.positions.hasRevisionGap(conversationId) && !this.gapChecks.has(conversationId)) {
      this.gapChecks.set(
        conversationId,
        setTimeout(() => {
          this.gapChecks.delete(conversationId);
          if (this.positions.hasRevisionGap(conversationId) && this.socket.connected) {
            this.follow(conversationId).catch((error: unknown) =>
              this.deliver(events.error.event, toSocketError(error)),
            );
          }
        }, revisionGapWaitMs),
      );
    }
    return isNew;
  }

  /** Conversations the edge makes this user's sockets follow are followed here too, and left. */
  private track(event: string, payload: unknown): void {
    if (event === events.conversationCreated.event) {
      const created = createdPayload.safeParse(payload);
      const conversation = created.success ? created.data.conversation : undefined;
      if (conversation !== undefined && !this.positions.has(conversation.id)) {
        this.positions.place(conversation.id, {
          sequence: conversation.lastSequence,
          revision: conversation.lastRevision,
        });
      }
    } else if (event === events.participantAdded.event) {
      const joined = joinedPayload.safeParse(payload);
      const participant = joined.success ? joined.data.participant : undefined;
      if (
        joined.success &&
        participant !== undefined &&
        participant.userId === this.userId() &&
        !this.positions.has(participant.conversationId)
      ) {
        // Where the user joined: changes to the messages they receive take later revisions.
        this.positions.place(participant.conversationId, {
          sequence: participant.lastReadSequence,
          revision: joined.data.lastRevision,
        });
      }
    } else if (event === events.participantRemoved.event) {
      const left = leftPayload.safeParse(payload);
      if (left.success && left.data.userId === this.userId()) {
        this.positions.forget(left.data.conversationId);
      }
    } else if (event === events.conversationDeleted.event) {
      this.positions.forget((payload as ServerEvents['conversation:deleted']).conversationId);
    }
  }

  private async refresh(): Promise<void> {
    if (typeof this.token === 'string') {
      return;
    }
    try {
      await this.send(realtimeCommands.authRefresh, { token: await this.freshToken() });
    } catch (error) {
      this.deliver(events.error.event, toSocketError(error));
    }
  }

  /** An expired token reconnects with a fresh one (when the client can get one); anything else stays ended. */
  private ended(payload: ServerEvents['auth:ended']): void {
    if (payload.reason === 'token_expired' && typeof this.token !== 'string') {
      this.socket.once('disconnect', () => this.socket.connect());
    }
  }

  /** The user of the connection, from the token's claims (read, not verified: the edge verified it). */
  private userId(): string | undefined {
    return this.currentToken === undefined ? undefined : subjectOf(this.currentToken);
  }

  private deliver(event: string, payload: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) {
      (handler as (payload: unknown) => void)(payload);
    }
  }
}

/** How long a missing revision may stay missing before the conversation is synced again. */
const revisionGapWaitMs = 2_000;

/** A command whose acknowledgement never came (Socket.IO's timeout, a dropped connection). */
function unanswered(error: unknown): ParleyClientError {
  return new ParleyClientError({
    code: 'unavailable',
    message: error instanceof Error ? error.message : String(error),
    details: { reason: 'no_acknowledgement' },
  });
}

/** How long to wait before sending again after `failure`; undefined: not worth sending again. */
function retryPause(failure: ParleyClientError, attempt: number): number | undefined {
  if (failure.code === 'rate_limited') {
    const after = failure.details?.['retryAfterMs'];
    return typeof after === 'number' && after > 0 ? after : 1_000;
  }
  if (failure.code === 'unavailable') {
    return Math.min(250 * 2 ** (attempt - 1), 5_000);
  }
  return undefined;
}

function toSocketError(error: unknown): ServerEvents['error'] {
  if (error instanceof ParleyClientError) {
    return {
      code: error.code as ErrorEnvelope['code'],
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
      event: null,
    };
  }
  return {
    code: 'unavailable',
    message: error instanceof Error ? error.message : String(error),
    event: null,
  };
}

/** The `sub` claim of a JWT, without verifying it. */
function subjectOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) {
    return undefined;
  }
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(globalThis.atob(base64)) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return undefined;
  }
}

/** A random UUID from the platform's crypto (browsers and Node alike). */
export function newClientMessageId(): string {
  return globalThis.crypto.randomUUID();
}
