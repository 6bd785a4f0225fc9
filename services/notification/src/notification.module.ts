import { Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from '@parley/auth';
import { identityRequests, notificationCatalog } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import { EventPublisher, NatsHealth, NatsModule, NatsRpcClient } from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule } from '@parley/permissions';
import { BootstrapService } from './bootstrap.service.js';
import { BroadcastsHandler } from './broadcasts/broadcasts.handler.js';
import { BroadcastsRepository } from './broadcasts/broadcasts.repository.js';
import { BroadcastsService } from './broadcasts/broadcasts.service.js';
import { FanOutWorker } from './broadcasts/fan-out.worker.js';
import { ConversationEventsConsumer } from './conversations/conversation-events.consumer.js';
import { ConversationNotifier } from './conversations/conversation-notifier.js';
import { ConversationReaders } from './conversations/conversation-readers.js';
import { ConversationsRepository } from './conversations/conversations.repository.js';
import { DirectoryRepository } from './directory/directory.repository.js';
import { IdentityEventsConsumer } from './directory/identity-events.consumer.js';
import { DeliveriesRepository } from './email/deliveries.repository.js';
import { EmailSender } from './email/email-sender.js';
import { Mailer } from './email/mailer.js';
import { FileEventsConsumer } from './files/file-events.consumer.js';
import { MaintenanceService } from './maintenance.service.js';
import { notificationOptionsFrom, type NotificationConfig } from './notification.config.js';
import { CLOCK, NOTIFICATION_OPTIONS, type Clock } from './notification.options.js';
import { BulkOutbox } from './notifications/bulk-outbox.js';
import { InboxRepository } from './notifications/inbox.repository.js';
import { InboxService } from './notifications/inbox.service.js';
import { IntegrationsService } from './notifications/integrations.service.js';
import { NotificationWriter } from './notifications/notification.writer.js';
import { NotificationsHandler } from './notifications/notifications.handler.js';
import { PreferencesHandler } from './preferences/preferences.handler.js';
import { PreferencesRepository } from './preferences/preferences.repository.js';
import { PreferencesService } from './preferences/preferences.service.js';
import { EventFollower } from './shared/event-follower.js';

export interface NotificationOverrides {
  /** The time every decision uses; the system clock when omitted. */
  clock?: Clock;
}

@Module({})
export class NotificationModule {
  static forRoot(config: NotificationConfig, overrides: NotificationOverrides = {}): DynamicModule {
    return {
      module: NotificationModule,
      imports: [
        LoggingModule.forRoot({ service: 'notification', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'notification',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        // The repositories speak SQL (bulk inserts from arrays, SKIP LOCKED claims): no entities.
        DbModule.forRoot({
          url: config.DATABASE_URL,
          schema: 'notification',
          entities: [],
          poolSize: config.DATABASE_POOL_SIZE,
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
        // Every handler declares its requirement; the notification permissions are registered
        // with the permission service at start-up.
        PermissionsModule.forRoot({ catalog: notificationCatalog }),
        ObservabilityModule.forRootAsync({
          service: 'notification',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [NotificationsHandler, PreferencesHandler, BroadcastsHandler],
      providers: [
        { provide: NOTIFICATION_OPTIONS, useValue: notificationOptionsFrom(config) },
        { provide: CLOCK, useValue: overrides.clock ?? (() => new Date()) },
        BootstrapService,
        DirectoryRepository,
        ConversationsRepository,
        PreferencesRepository,
        InboxRepository,
        DeliveriesRepository,
        BroadcastsRepository,
        BulkOutbox,
        NotificationWriter,
        EventFollower,
        ConversationReaders,
        ConversationNotifier,
        IdentityEventsConsumer,
        ConversationEventsConsumer,
        FileEventsConsumer,
        InboxService,
        IntegrationsService,
        PreferencesService,
        BroadcastsService,
        FanOutWorker,
        Mailer,
        EmailSender,
        MaintenanceService,
      ],
    };
  }
}
