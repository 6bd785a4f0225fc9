import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@parley/auth';
import { conversationCatalog, identityRequests } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import { EventPublisher, NatsHealth, NatsModule, NatsRpcClient } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule, ServiceAccountSession } from '@parley/permissions';
import { StandingsGateway, StandingsTransaction } from './access/standings.js';
import { UserDirectory } from './access/user-directory.service.js';
import { BootstrapService } from './bootstrap.service.js';
import type { ConversationConfig } from './conversation.config.js';
import { STANDINGS_TOKEN_SOURCE, type StandingsTokenSource } from './conversation.options.js';
import { ConversationLookup } from './conversations/conversation-lookup.service.js';
import { ConversationsHandler } from './conversations/conversations.handler.js';
import { ConversationsRepository } from './conversations/conversations.repository.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { MessagesHandler } from './messages/messages.handler.js';
import { MessagesRepository } from './messages/messages.repository.js';
import { MessagesService } from './messages/messages.service.js';
import { ModerationHandler } from './messages/moderation.handler.js';
import { ModerationService } from './messages/moderation.service.js';
import { ReactionsHandler } from './messages/reactions.handler.js';
import { ReactionsRepository } from './messages/reactions.repository.js';
import { ReactionsService } from './messages/reactions.service.js';
import { ParticipantsHandler } from './participants/participants.handler.js';
import { ParticipantsRepository } from './participants/participants.repository.js';
import { ParticipantsService } from './participants/participants.service.js';

export interface ConversationOverrides {
  /** The token the service sets standings with; its own service account's session when omitted. */
  standingsTokens?: StandingsTokenSource;
}

@Module({})
export class ConversationModule {
  static forRoot(config: ConversationConfig, overrides: ConversationOverrides = {}): DynamicModule {
    return {
      module: ConversationModule,
      imports: [
        LoggingModule.forRoot({ service: 'conversation', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'conversation',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        // The repositories speak SQL (data-modifying CTEs assign sequence numbers): no entities.
        DbModule.forRoot({
          url: config.DATABASE_URL,
          schema: 'conversation',
          entities: [],
          poolSize: config.DATABASE_POOL_SIZE,
          timestampsAsText: true,
        }),
        OutboxModule.forRoot({ publisher: EventPublisher }),
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
        // Every handler declares its requirement; the conversation permissions are registered
        // with the permission service at start-up.
        PermissionsModule.forRoot({ catalog: conversationCatalog }),
        ObservabilityModule.forRootAsync({
          service: 'conversation',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [
        ConversationsHandler,
        ParticipantsHandler,
        MessagesHandler,
        ReactionsHandler,
        ModerationHandler,
      ],
      providers: [
        {
          provide: STANDINGS_TOKEN_SOURCE,
          inject: [NatsRpcClient],
          useFactory: (rpc: NatsRpcClient): StandingsTokenSource =>
            overrides.standingsTokens ??
            new ServiceAccountSession(rpc, {
              tenant: config.SERVICE_ACCOUNT_TENANT,
              email: config.SERVICE_ACCOUNT_EMAIL,
              password: config.SERVICE_ACCOUNT_PASSWORD,
            }),
        },
        UserDirectory,
        StandingsGateway,
        StandingsTransaction,
        ConversationsRepository,
        ParticipantsRepository,
        MessagesRepository,
        ReactionsRepository,
        ConversationLookup,
        ConversationsService,
        ParticipantsService,
        MessagesService,
        ReactionsService,
        ModerationService,
        BootstrapService,
      ],
    };
  }
}
