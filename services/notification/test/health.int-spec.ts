import { describeServiceHealth } from '@parley/testing';
import { startNotificationUnderTest } from './notification.harness.js';

describeServiceHealth({ service: 'notification', start: () => startNotificationUnderTest() });
