import type { RoomKind, RoomRef } from '@parley/contracts';

/**
 * The Socket.IO room of a room: its protocol name (`conversation:<id>`) qualified by its tenant.
 * Ids are UUIDs and never repeat across tenants, but the tenant in every room name makes a room of
 * one tenant unreachable from another by construction, whatever an id turns out to be.
 */
export function roomKey(room: RoomRef): string {
  return `${room.tenantId}|${room.kind}:${room.id}`;
}

export function userRoom(tenantId: string, userId: string): RoomRef {
  return { tenantId, kind: 'user', id: userId };
}

export function tenantRoom(tenantId: string): RoomRef {
  return { tenantId, kind: 'tenant', id: tenantId };
}

export function adminsRoom(tenantId: string): RoomRef {
  return { tenantId, kind: 'admins', id: tenantId };
}

export function conversationRoom(tenantId: string, conversationId: string): RoomRef {
  return { tenantId, kind: 'conversation', id: conversationId };
}

export function presenceRoom(tenantId: string, userId: string): RoomRef {
  return { tenantId, kind: 'presence', id: userId };
}

export type { RoomKind, RoomRef };
