import { Inject, Injectable } from '@nestjs/common';
import {
  conversationRequests,
  ParleyError,
  realtimeEvents,
  type ConversationPosition,
  type EmitEnvelope,
  type RequestContract,
  type RequestOf,
  type ResponseOf,
  type ErrorEnvelope,
  type MessageView,
  type RoomRef,
  type SyncOutcome,
} from '@parley/contracts';
import { createLogger, logSecurityEvent } from '@parley/logging';
import { NatsRpcClient } from '@parley/nats';
import { AbilityCache, PermissionChecker, type Evaluation } from '@parley/permissions';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { EDGE_SETTINGS, type EdgeSettings } from '../realtime-edge.options.js';
import { RoomBroadcaster } from '../rooms/room-broadcaster.js';
import { conversationRoom, roomKey } from '../rooms/room-keys.js';
import { RoomSubscriptions } from '../rooms/room-subscriptions.service.js';
import { sessionOf, type EdgeSocket } from '../socket/socket-session.js';
import { ConversationSequence } from './conversation-sequence.js';

/** Messages per catch-up or changes request (the conversation service's maximum). */
const catchUpPage = 100;

/** How far a socket's catch-up got, or its outcome when it ended early. */
type Progress<T> = T | { readonly ended: SyncOutcome };

/** One conversation followed on this instance. */
class ConversationRoom {
  readonly key: string;
  readonly sequence = new ConversationSequence<EmitEnvelope>();
  /** Sockets following (joined to the Socket.IO room) or catching up (not yet joined). */
  readonly members = new Set<EdgeSocket>();
  /** Settles once the room is subscribed and knows the conversation's sequence number. */
  started: Promise<void> | undefined;
  subscribed = false;
  disposed = false;
  gapTimer: NodeJS.Timeout | undefined;
  filling = false;
  /** The highest revision number released (or read when the room started). */
  lastRevision = 0;

  constructor(readonly ref: RoomRef) {
    this.key = roomKey(ref);
  }
}

/**
 * Conversations followed by the sockets of this instance, and the guarantee of `conversation:sync`:
 * every message after the sequence number a client has seen, in order, once, then the live events.
 *
 * A room subscribes first (and waits until NATS has the subscription), then asks the conversation
 * service where the conversation stands. A socket that joins catches up from the service (pages of
 * `message.catch-up`) up to what the room has released; only then, with no await in between, it
 * joins the Socket.IO room, so the seam has neither gap nor duplicate. Live events are put in
 * sequence order per room (`ConversationSequence`); a gap that lasts longer than the gap wait is
 * filled from the service, and one that cannot be filled resets the room's sockets (`sync:reset`).
 */
@Injectable()
export class ConversationRooms {
  private readonly logger = createLogger(ConversationRooms.name);
  private readonly rooms = new Map<string, ConversationRoom>();

  constructor(
    private readonly subscriptions: RoomSubscriptions,
    private readonly rpc: NatsRpcClient,
    private readonly checker: PermissionChecker,
    private readonly cache: AbilityCache,
    private readonly broadcaster: RoomBroadcaster,
    private readonly registry: ConnectionRegistry,
    @Inject(EDGE_SETTINGS) private readonly settings: EdgeSettings,
  ) {}

  /**
   * Starts (or restarts) following a conversation on a socket after sequence number `from`; with
   * `revision`, the messages up to `from` that changed after it are sent first as they are now
   * (`message:refreshed`). The answer of `conversation:sync`.
   */
  async follow(
    socket: EdgeSocket,
    conversationId: string,
    from: number,
    revision?: number,
  ): Promise<SyncOutcome> {
    const session = sessionOf(socket);
    const { principal } = session;
    const evaluation = await this.mayRead(socket, conversationId);
    if (!evaluation.allowed) {
      logSecurityEvent(this.logger, {
        type: 'room',
        outcome: 'denied',
        reason: evaluation.reason === 'other_tenant' ? 'tenant_violation' : 'forbidden_room',
        actorId: principal.userId,
        tenantId: principal.tenantId,
        room: `conversation:${conversationId}`,
      });
      return refused(
        new ParleyError('forbidden', 'Missing permission: conversation:message:read', {
          reason: evaluation.reason,
          missing: ['conversation:message:read'],
        }),
      );
    }
    if (!socket.connected) {
      return refused(new ParleyError('conflict', 'The socket disconnected'));
    }
    const ref = conversationRoom(principal.tenantId, conversationId);
    const room = this.rooms.get(roomKey(ref)) ?? this.open(ref);
    room.members.add(socket);
    session.conversations.add(conversationId);
    try {
      room.started ??= this.start(room, session.token);
      await room.started;
    } catch (error) {
      room.started = undefined;
      this.leave(room, socket);
      return refused(error);
    }
    if (!room.members.has(socket)) {
      return refused(new ParleyError('conflict', 'The socket stopped following the conversation'));
    }
    return this.catchUp(room, socket, from, revision);
  }

  /** Stops following on a socket; false when it did not follow. */
  unfollow(socket: EdgeSocket, conversationId: string): boolean {
    const room = this.rooms.get(roomKey(conversationRoom(socket.data.principal.tenantId, conversationId)));
    if (room === undefined || !room.members.has(socket)) {
      return false;
    }
    this.leave(room, socket);
    return true;
  }

  /** Everything a disconnected socket followed. */
  unfollowAll(socket: EdgeSocket): void {
    for (const conversationId of [...socket.data.conversations]) {
      this.unfollow(socket, conversationId);
    }
  }

  /**
   * The user was added to a conversation (or one was created with them): their sockets here that
   * do not follow it yet start following it from where they joined (the sequence and revision
   * numbers of the conversation then).
   */
  followForUser(tenantId: string, userId: string, conversationId: string, from: ConversationPosition): void {
    for (const socket of this.registry.socketsOf(tenantId, userId)) {
      if (socket.data.conversations.has(conversationId)) {
        continue;
      }
      void this.follow(socket, conversationId, from.sequence, from.revision).then((outcome) => {
        if (outcome.status === 'refused') {
          this.logger.debug(
            { conversationId, code: outcome.error.code },
            'A new participant’s socket could not follow the conversation',
          );
        }
      });
    }
  }

  /** The user's permissions changed: their sockets stop following what they may no longer read. */
  async recheck(socket: EdgeSocket): Promise<void> {
    const session = sessionOf(socket);
    for (const conversationId of [...session.conversations]) {
      const allowed = await this.checker.can(
        session.principal,
        'conversation:message:read',
        { type: 'conversation', id: conversationId },
        { token: session.token },
      );
      if (!allowed && this.unfollow(socket, conversationId)) {
        logSecurityEvent(this.logger, {
          type: 'room',
          outcome: 'denied',
          reason: 'access_ended',
          actorId: session.principal.userId,
          tenantId: session.principal.tenantId,
          room: `conversation:${conversationId}`,
        });
      }
    }
  }

  /**
   * Whether the socket's user may read the conversation. A refusal is checked once more with
   * permissions fetched afresh: a user added to a conversation hears of it (conversation.created,
   * participant.joined) possibly before this instance hears that their assignments changed, and the
   * permission service has the new standing by then.
   */
  private async mayRead(socket: EdgeSocket, conversationId: string): Promise<Evaluation> {
    const { principal, token } = sessionOf(socket);
    const check = () =>
      this.checker.evaluate(
        principal,
        'conversation:message:read',
        { type: 'conversation', id: conversationId },
        { token },
      );
    const first = await check();
    if (first.allowed) {
      return first;
    }
    this.cache.invalidateActor(principal.tenantId, principal.userId);
    return check();
  }

  /** A live event of a followed conversation, from NATS. */
  receive(ref: RoomRef, envelope: EmitEnvelope): void {
    const room = this.rooms.get(roomKey(ref));
    if (room === undefined) {
      return;
    }
    this.releaseAll(room, room.sequence.offer(envelope));
    this.watchGap(room);
  }

  private open(ref: RoomRef): ConversationRoom {
    const room = new ConversationRoom(ref);
    this.rooms.set(room.key, room);
    return room;
  }

  /** Subscribes, then reads where the conversation stands (with a member's token). */
  private async start(room: ConversationRoom, token: string): Promise<void> {
    await this.subscriptions.acquire(room.ref);
    room.subscribed = true;
    if (room.disposed) {
      this.subscriptions.release(room.ref);
      return;
    }
    const { conversation } = await this.rpc.request(
      conversationRequests.get,
      { conversationId: room.ref.id },
      { token },
    );
    room.lastRevision = Math.max(room.lastRevision, conversation.lastRevision);
    this.releaseAll(room, room.sequence.start(conversation.lastSequence));
    this.watchGap(room);
  }

  /**
   * Sends a socket what it missed, then joins it to the room: the messages after `from`, and the
   * messages up to there that changed after `revision` (as they are now), as long as the room
   * releases more of either while it reads. The last check and the join have no await between
   * them, so the seam has no gap. Without `revision`, only the changes made while the socket
   * catches up are sent: from the revision number read first, so that the one answered is safe to
   * continue from. A change whose message was sent as it is after it may still come live: its
   * revision is not above the message's (the client's rule, docs/realtime-edge.md).
   */
  private async catchUp(
    room: ConversationRoom,
    socket: EdgeSocket,
    from: number,
    revision: number | undefined,
  ): Promise<SyncOutcome> {
    const last = (): number => room.sequence.lastSequence as number;
    let seen = revision;
    if (seen === undefined) {
      // Read while a socket syncing again is still in the room: what changes from then on reaches
      // it live or in the catch-up below.
      const now = await this.revisionAt(room, socket, 0);
      if ('ended' in now) {
        return now.ended;
      }
      seen = now.read;
    }
    // A socket syncing again leaves the room until it has caught up anew.
    void socket.leave(room.key);
    const missed = last() - from;
    if (missed > this.settings.syncMaxGap) {
      return this.reset(room, socket, missed, revision);
    }
    let cursor = from;
    let covered: number;
    let replayed = 0;
    let refreshed = 0;
    for (;;) {
      const messages = await this.replayMessages(room, socket, cursor);
      if ('ended' in messages) {
        return messages.ended;
      }
      cursor = messages.cursor;
      replayed += messages.replayed;
      const changes = await this.replayChanges(room, socket, seen, cursor);
      if ('ended' in changes) {
        return changes.ended;
      }
      // Asked again after what was read, a message comes again only when it changed again.
      seen = Math.max(seen, changes.read);
      covered = changes.covered;
      refreshed += changes.refreshed;
      if (refreshed > this.settings.syncMaxGap) {
        return this.reset(room, socket, refreshed, revision);
      }
      const behind = cursor < last() || changes.read < room.lastRevision;
      if (messages.stalled || !behind) {
        break;
      }
    }
    this.join(room, socket);
    return {
      status: 'synced',
      lastSequence: Math.max(cursor, last()),
      // Never below the revision the client gave: it has seen every change up to that one.
      lastRevision: Math.max(covered, revision ?? 0),
      replayed,
      refreshed,
    };
  }

  /**
   * More was missed than the edge replays: the client reloads the history, and continues from
   * `lastSequence` and a revision that covers every change to the messages up to it (never below
   * the one it gave).
   */
  private async reset(
    room: ConversationRoom,
    socket: EdgeSocket,
    missed: number,
    revision: number | undefined,
  ): Promise<SyncOutcome> {
    // The revision covering the messages up to `through` covers fewer than those up to the room's
    // position after the wait, so it is safe for either: at worst a change comes again, and the
    // client's rule drops it. The position is read after the wait, with no await before the join.
    const through = room.sequence.lastSequence as number;
    const now = await this.revisionAt(room, socket, through);
    if ('ended' in now) {
      return now.ended;
    }
    const lastSequence = room.sequence.lastSequence as number;
    this.broadcaster.emitTo(socket, realtimeEvents.syncReset.event, {
      conversationId: room.ref.id,
      lastSequence,
      missed,
    });
    this.join(room, socket);
    return { status: 'reset', lastSequence, lastRevision: Math.max(now.covered, revision ?? 0), missed };
  }

  /**
   * The conversation's revision number now (`read`), and the one that covers every change to the
   * messages up to `through` (`covered`): a `message.changes` page of no message.
   */
  private async revisionAt(
    room: ConversationRoom,
    socket: EdgeSocket,
    through: number,
  ): Promise<Progress<{ read: number; covered: number }>> {
    const answer = await this.ask(room, socket, conversationRequests.changes, {
      conversationId: room.ref.id,
      afterRevision: Number.MAX_SAFE_INTEGER,
      throughSequence: through,
      limit: 1,
    });
    return 'ended' in answer
      ? answer
      : { read: answer.reply.lastRevision, covered: answer.reply.coveredRevision };
  }

  /**
   * A request of a socket's catch-up, with its token; ends the catch-up (`ended`) when it fails, or
   * when the socket stopped following meanwhile.
   */
  private async ask<C extends RequestContract>(
    room: ConversationRoom,
    socket: EdgeSocket,
    contract: C,
    payload: RequestOf<C>,
  ): Promise<Progress<{ reply: ResponseOf<C> }>> {
    let reply: ResponseOf<C>;
    try {
      reply = await this.rpc.request(contract, payload, { token: socket.data.token });
    } catch (error) {
      this.leave(room, socket);
      return { ended: refused(error) };
    }
    if (!room.members.has(socket) || !socket.connected) {
      return { ended: stoppedFollowing() };
    }
    return { reply };
  }

  /**
   * The messages after `cursor` up to what the room has released, oldest first; `stalled` when the
   * service has none although the room released more.
   */
  private async replayMessages(
    room: ConversationRoom,
    socket: EdgeSocket,
    from: number,
  ): Promise<Progress<{ cursor: number; replayed: number; stalled: boolean }>> {
    const conversationId = room.ref.id;
    const last = (): number => room.sequence.lastSequence as number;
    let cursor = from;
    let replayed = 0;
    while (cursor < last()) {
      const answer = await this.ask(room, socket, conversationRequests.catchUp, {
        conversationId,
        afterSequence: cursor,
        limit: catchUpPage,
      });
      if ('ended' in answer) {
        return answer;
      }
      const page = answer.reply;
      // Only up to what the room has released: what comes after reaches the socket through the room.
      const ceiling = last();
      const before = cursor;
      for (const message of page.items) {
        if (message.sequence === null || message.sequence <= cursor) {
          continue;
        }
        if (message.sequence > ceiling) {
          break;
        }
        this.broadcaster.emitTo(socket, realtimeEvents.messageNew.event, message);
        cursor = message.sequence;
        replayed += 1;
      }
      if (cursor === before) {
        // The service has nothing more although the room released more: join; the client's own
        // gap check (or the next sync) recovers what is missing.
        this.logger.warn({ conversationId, cursor, last: last() }, 'Catch-up ended below the room');
        return { cursor, replayed, stalled: true };
      }
    }
    return { cursor, replayed, stalled: false };
  }

  /**
   * The messages up to sequence number `through` that changed after revision `after`, as they are
   * now, in revision order; `read`: the conversation's revision number when the last page was
   * read; `covered`: every change up to it is in what was sent.
   */
  private async replayChanges(
    room: ConversationRoom,
    socket: EdgeSocket,
    after: number,
    through: number,
  ): Promise<Progress<{ read: number; covered: number; refreshed: number }>> {
    let cursor = after;
    let refreshed = 0;
    for (;;) {
      const answer = await this.ask(room, socket, conversationRequests.changes, {
        conversationId: room.ref.id,
        afterRevision: cursor,
        throughSequence: through,
        limit: catchUpPage,
      });
      if ('ended' in answer) {
        return answer;
      }
      const page = answer.reply;
      for (const message of page.items) {
        this.broadcaster.emitTo(socket, realtimeEvents.messageRefreshed.event, message);
        cursor = Math.max(cursor, message.revision);
        refreshed += 1;
      }
      if (!page.hasMore || page.items.length === 0) {
        return { read: page.lastRevision, covered: page.coveredRevision, refreshed };
      }
      if (refreshed > this.settings.syncMaxGap) {
        return { read: cursor, covered: after, refreshed };
      }
    }
  }

  private join(room: ConversationRoom, socket: EdgeSocket): void {
    void socket.join(room.key);
  }

  private leave(room: ConversationRoom, socket: EdgeSocket): void {
    room.members.delete(socket);
    socket.data.conversations.delete(room.ref.id);
    void socket.leave(room.key);
    if (room.members.size === 0) {
      this.dispose(room);
    }
  }

  private dispose(room: ConversationRoom): void {
    room.disposed = true;
    clearTimeout(room.gapTimer);
    room.gapTimer = undefined;
    if (this.rooms.get(room.key) === room) {
      this.rooms.delete(room.key);
    }
    if (room.subscribed) {
      room.subscribed = false;
      this.subscriptions.release(room.ref);
    }
  }

  private releaseAll(room: ConversationRoom, envelopes: readonly EmitEnvelope[]): void {
    for (const envelope of envelopes) {
      this.broadcaster.emit(room.ref, envelope);
      room.lastRevision = Math.max(room.lastRevision, envelope.order?.revision ?? 0);
      this.afterRelease(room, envelope);
    }
  }

  /** Who may no longer read the conversation stops following it. */
  private afterRelease(room: ConversationRoom, envelope: EmitEnvelope): void {
    if (envelope.event === realtimeEvents.participantRemoved.event) {
      const userId = (envelope.data as { userId?: unknown }).userId;
      for (const socket of [...room.members]) {
        if (socket.data.principal.userId === userId) {
          this.leave(room, socket);
        }
      }
    } else if (envelope.event === realtimeEvents.conversationDeleted.event) {
      for (const socket of [...room.members]) {
        this.leave(room, socket);
      }
    }
  }

  /** A gap that outlasts the gap wait is filled from the service. */
  private watchGap(room: ConversationRoom): void {
    if (room.disposed || room.filling) {
      return;
    }
    if (room.sequence.missing() === undefined) {
      clearTimeout(room.gapTimer);
      room.gapTimer = undefined;
      return;
    }
    room.gapTimer ??= setTimeout(() => {
      room.gapTimer = undefined;
      void this.fillGap(room);
    }, this.settings.gapWaitMs);
  }

  private async fillGap(room: ConversationRoom): Promise<void> {
    const missing = room.sequence.missing();
    if (missing === undefined || room.disposed) {
      return;
    }
    room.filling = true;
    try {
      const filled = await this.fetchMissing(room, missing - 1);
      if (!filled && room.sequence.missing() === missing) {
        this.resetRoom(room);
      }
    } finally {
      room.filling = false;
      this.watchGap(room);
    }
  }

  /** Asks the service for what follows `after`, with the token of each member in turn. */
  private async fetchMissing(room: ConversationRoom, after: number): Promise<boolean> {
    for (const member of [...room.members].reverse()) {
      let page;
      try {
        page = await this.rpc.request(
          conversationRequests.catchUp,
          { conversationId: room.ref.id, afterSequence: after, limit: catchUpPage },
          { token: member.data.token },
        );
      } catch (error) {
        this.logger.warn(
          { err: error, conversationId: room.ref.id },
          'Filling a gap failed; trying another member',
        );
        continue;
      }
      for (const message of page.items) {
        this.releaseAll(room, room.sequence.offer(asLiveMessage(message)));
      }
      return page.items.length > 0;
    }
    return false;
  }

  /** Nobody can fetch what is missing: the room's sockets reload from the next message on. */
  private resetRoom(room: ConversationRoom): void {
    const last = room.sequence.lastSequence as number;
    const next = room.sequence.nextWaiting() ?? last + 1;
    this.logger.warn({ conversationId: room.ref.id, from: last, to: next - 1 }, 'A gap could not be filled');
    this.broadcaster.emit(room.ref, {
      kind: 'emit',
      event: realtimeEvents.syncReset.event,
      data: { conversationId: room.ref.id, lastSequence: next - 1, missed: next - 1 - last },
      at: Date.now(),
    });
    this.releaseAll(room, room.sequence.advanceTo(next - 1));
  }
}

function asLiveMessage(message: MessageView): EmitEnvelope {
  return {
    kind: 'emit',
    event: realtimeEvents.messageNew.event,
    data: message,
    at: Date.parse(message.publishedAt ?? message.createdAt),
    ...(message.sequence === null ? {} : { order: { sequence: message.sequence, creates: true } }),
  };
}

function stoppedFollowing(): SyncOutcome {
  return refused(new ParleyError('conflict', 'The socket stopped following the conversation'));
}

function refused(error: unknown): SyncOutcome {
  const envelope: ErrorEnvelope =
    error instanceof ParleyError
      ? error.toEnvelope()
      : new ParleyError('internal', 'Something went wrong').toEnvelope();
  return { status: 'refused', error: envelope };
}
