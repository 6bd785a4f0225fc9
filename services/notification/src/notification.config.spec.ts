import { loadConfig } from '@parley/config';
import { notificationConfig, notificationOptionsFrom } from './notification.config.js';

const base = { DATABASE_URL: 'postgres://notification_service@localhost/parley' };

describe('notification configuration', () => {
  it('has no email channel without an SMTP host', () => {
    const options = notificationOptionsFrom(loadConfig(notificationConfig, base));
    expect(options).toMatchObject({
      platformTenantSlug: 'platform',
      eventMaxAgeMs: 24 * 60 * 60 * 1000,
      broadcastBatchSize: 1000,
      email: undefined,
    });
  });

  it('reads the SMTP server and the email schedule', () => {
    const options = notificationOptionsFrom(
      loadConfig(notificationConfig, {
        ...base,
        SMTP_HOST: 'smtp.example.org',
        SMTP_PORT: '465',
        SMTP_SECURE: 'true',
        SMTP_USER: 'parley',
        SMTP_PASSWORD: 'secret',
        NOTIFICATION_EMAIL_RETRY_INITIAL: '1m',
        NOTIFICATION_EMAIL_RETRY_MAX: '10s',
      }),
    );
    expect(options.email).toMatchObject({
      smtp: {
        host: 'smtp.example.org',
        port: 465,
        secure: true,
        user: 'parley',
        password: 'secret',
        timeoutMs: 10_000,
      },
      digestWindowMs: 5 * 60 * 1000,
      maxAttempts: 6,
      retryInitialMs: 60_000,
      // The cap is never below the first wait.
      retryMaxMs: 60_000,
    });
  });
});
