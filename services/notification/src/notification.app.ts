import type { INestApplication } from '@nestjs/common';
import { startGuardedService } from '@parley/permissions';
import type { NotificationConfig } from './notification.config.js';
import { NotificationModule, type NotificationOverrides } from './notification.module.js';

/**
 * Builds and starts the notification service: NATS request handlers, the event consumers and
 * workers, and the HTTP server (health, metrics).
 */
export function startNotification(
  config: NotificationConfig,
  overrides: NotificationOverrides = {},
): Promise<INestApplication> {
  return startGuardedService(NotificationModule.forRoot(config, overrides), {
    ...config,
    queue: 'notification',
  });
}
