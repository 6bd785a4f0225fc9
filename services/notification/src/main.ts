import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { notificationConfig } from './notification.config.js';
import { startNotification } from './notification.app.js';

await startNotification(loadConfig(notificationConfig));
