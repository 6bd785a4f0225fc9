import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { AuthModule } from '@parley/auth';
import { fileCatalog, identityRequests } from '@parley/contracts';
import { DbHealth, DbModule, OutboxModule, type DbModuleOptions } from '@parley/db';
import { LoggingModule } from '@parley/logging';
import {
  EventPublisher,
  Namespace,
  NATS_CONNECTION,
  NatsHealth,
  NatsModule,
  NatsRpcClient,
} from '@parley/nats';
import { ObservabilityModule } from '@parley/observability';
import { PermissionsModule } from '@parley/permissions';
import { ConversationEventsConsumer } from './attachments/conversation-events.consumer.js';
import { MessageAttachments } from './attachments/message-attachments.service.js';
import { BootstrapService } from './bootstrap.service.js';
import { DownloadsService } from './downloads/downloads.service.js';
import { fileOptionsFrom, type FileConfig } from './file.config.js';
import {
  CLOCK,
  defaultFollowRetry,
  FILE_OPTIONS,
  FOLLOW_RETRY,
  type Clock,
  type FileOptions,
  type FollowRetry,
} from './file.options.js';
import { AttachmentEntity } from './files/attachment.entity.js';
import { FileAccess } from './files/file-access.js';
import { FileEntity } from './files/file.entity.js';
import { FilesRepository } from './files/files.repository.js';
import { FilesService } from './files/files.service.js';
import { StorageClassEntity } from './files/storage-class.entity.js';
import { UploadsService } from './files/uploads.service.js';
import { DownloadsController } from './http/downloads.controller.js';
import { FilesController } from './http/files.controller.js';
import { FilesHandler } from './nats/files.handler.js';
import { ProcessingConsumer } from './processing/processing.consumer.js';
import { ProcessingService } from './processing/processing.service.js';
import { RetentionService } from './retention/retention.service.js';
import { LocalFilesystemDriver } from './storage/local-filesystem.driver.js';
import { ObjectStoreDriver } from './storage/object-store.driver.js';
import { StorageDrivers } from './storage/storage-drivers.js';

/** The TypeORM entities of the file schema, each mapping a table created in sql/file/. */
export const fileEntities: DbModuleOptions['entities'] = [FileEntity, StorageClassEntity, AttachmentEntity];

export interface FileOverrides {
  /** The time uploads, downloads and retention use; the system clock when omitted. */
  clock?: Clock;
  /** Delays between attempts to follow conversation's events before its stream exists. */
  followRetry?: FollowRetry;
}

@Module({})
export class FileModule {
  static forRoot(config: FileConfig, overrides: FileOverrides = {}): DynamicModule {
    return {
      module: FileModule,
      imports: [
        LoggingModule.forRoot({ service: 'file', level: config.LOG_LEVEL }),
        NatsModule.forRoot({
          url: config.NATS_URL,
          namespace: config.NATS_NAMESPACE,
          name: 'file',
          responseValidation: config.RESPONSE_VALIDATION,
        }),
        DbModule.forRoot({ url: config.DATABASE_URL, schema: 'file', entities: fileEntities }),
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
        PermissionsModule.forRoot({ catalog: fileCatalog }),
        ObservabilityModule.forRootAsync({
          service: 'file',
          inject: [DbHealth, NatsHealth],
          useFactory: (db: DbHealth, nats: NatsHealth) => [
            { name: 'database', check: () => db.check() },
            { name: 'nats', check: () => nats.check() },
          ],
        }),
      ],
      controllers: [FilesController, DownloadsController, FilesHandler],
      providers: [
        { provide: FILE_OPTIONS, useValue: fileOptionsFrom(config) },
        { provide: CLOCK, useValue: overrides.clock ?? (() => new Date()) },
        { provide: FOLLOW_RETRY, useValue: overrides.followRetry ?? defaultFollowRetry },
        {
          provide: StorageDrivers,
          inject: [NATS_CONNECTION, Namespace, FILE_OPTIONS],
          useFactory: async (nats: NatsConnection, namespace: Namespace, options: FileOptions) =>
            new StorageDrivers(
              [
                new LocalFilesystemDriver(options.storagePath),
                await ObjectStoreDriver.open(nats, namespace.stream(options.bucket), options.replicas),
              ],
              options.driver,
            ),
        },
        FilesRepository,
        FileAccess,
        FilesService,
        UploadsService,
        DownloadsService,
        ProcessingService,
        ProcessingConsumer,
        RetentionService,
        MessageAttachments,
        ConversationEventsConsumer,
        BootstrapService,
      ],
    };
  }
}
