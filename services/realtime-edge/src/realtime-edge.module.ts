import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { AuthModule } from '@parley/auth';
import { conversationReaders, identityRequests, realtimeBuckets } from '@parley/contracts';
import { LoggingModule } from '@parley/logging';
import { Namespace, NATS_CONNECTION, NatsHealth, NatsModule, NatsRpcClient } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule } from '@parley/permissions';
import { HandshakeAuthenticator } from './auth/handshake-authenticator.js';
import { RevocationStore } from './auth/revocation.store.js';
import { AccessWatch } from './connections/access-watch.service.js';
import { ConnectionGateway } from './connections/connection.gateway.js';
import { ConnectionRegistry } from './connections/connection-registry.js';
import { SessionExpiry } from './connections/session-expiry.js';
import { ConversationGateway } from './conversations/conversation.gateway.js';
import { ConversationRooms } from './conversations/conversation-rooms.service.js';
import { ReadersService } from './conversations/readers.service.js';
import { EventFanout } from './delivery/event-fanout.service.js';
import { openBucket } from './kv/buckets.js';
import { EdgeMetrics } from './observability/edge-metrics.js';
import { PresenceGateway } from './presence/presence.gateway.js';
import { PresenceService } from './presence/presence.service.js';
import { PresenceStore } from './presence/presence.store.js';
import type { RealtimeEdgeConfig } from './realtime-edge.config.js';
import { EDGE_SETTINGS, edgeSettings, type EdgeSettings } from './realtime-edge.options.js';
import { CommandRelay } from './relay/command-relay.service.js';
import { NotificationRelayGateway } from './relay/notification-relay.gateway.js';
import { RelayGateway } from './relay/relay.gateway.js';
import { RoomBroadcaster } from './rooms/room-broadcaster.js';
import { RoomDispatcher } from './rooms/room-dispatcher.js';
import { RoomSubscriptions } from './rooms/room-subscriptions.service.js';
import { SocketRooms } from './rooms/socket-rooms.service.js';
import { CommandGate } from './socket/command-gate.js';
import { SocketServer } from './socket/socket-server.js';

const kvInject = [NATS_CONNECTION, Namespace, EDGE_SETTINGS];

@Module({})
export class RealtimeEdgeModule {
  static forRoot(config: RealtimeEdgeConfig): DynamicModule {
    return {
      module: RealtimeEdgeModule,
      imports: [
        LoggingModule.forRoot({ service: 'realtime-edge', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'realtime-edge',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        // Identity signs the access tokens; its public keys come over NATS and are cached, and
        // fetched again when a token names a key not seen yet.
        AuthModule.forRootAsync({
          inject: [NatsRpcClient],
          useFactory: (rpc: NatsRpcClient) => ({
            issuer: config.AUTH_ISSUER,
            audience: config.AUTH_AUDIENCE,
            jwks: () => rpc.request(identityRequests.getJwks, {}),
          }),
        }),
        // The edge declares no permissions of its own; its gateways require those of others.
        PermissionsModule.forRoot({ service: 'realtime-edge' }),
        ObservabilityModule.forRootAsync({
          service: 'realtime-edge',
          inject: [NatsHealth],
          useFactory: (nats: NatsHealth) => [{ name: 'nats', check: () => nats.check() }],
        }),
      ],
      providers: [
        { provide: EDGE_SETTINGS, useValue: edgeSettings(config) },
        {
          provide: RevocationStore,
          inject: kvInject,
          useFactory: async (nats: NatsConnection, namespace: Namespace, settings: EdgeSettings) =>
            new RevocationStore(
              await openBucket(nats, namespace, realtimeBuckets.revocations, settings.revocationTtlMs),
            ),
        },
        {
          provide: PresenceStore,
          inject: kvInject,
          useFactory: async (nats: NatsConnection, namespace: Namespace, settings: EdgeSettings) =>
            new PresenceStore(
              await openBucket(nats, namespace, realtimeBuckets.presence, settings.presenceTtlMs),
              settings.presenceTtlMs,
            ),
        },
        {
          provide: ReadersService,
          inject: kvInject,
          useFactory: async (nats: NatsConnection, namespace: Namespace) =>
            new ReadersService(
              await openBucket(nats, namespace, conversationReaders.bucket, conversationReaders.ttlMs),
            ),
        },
        EdgeMetrics,
        SocketServer,
        CommandGate,
        ConnectionRegistry,
        RoomSubscriptions,
        RoomBroadcaster,
        SocketRooms,
        RoomDispatcher,
        ConversationRooms,
        SessionExpiry,
        HandshakeAuthenticator,
        AccessWatch,
        PresenceService,
        CommandRelay,
        EventFanout,
        ConnectionGateway,
        ConversationGateway,
        PresenceGateway,
        RelayGateway,
        NotificationRelayGateway,
      ],
    };
  }
}
