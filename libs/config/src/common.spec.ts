import { ConfigError, loadConfig } from './config.js';
import { commonVariables, migrationVariables } from './common.js';

describe('shared variable sets', () => {
  it('requires the admin login for migrations and leaves the service login optional', () => {
    expect(loadConfig(migrationVariables, { DATABASE_ADMIN_URL: 'postgres://postgres@db/parley' })).toEqual({
      DATABASE_ADMIN_URL: 'postgres://postgres@db/parley',
      DATABASE_URL: undefined,
    });
    expect(() => loadConfig(migrationVariables, {})).toThrow(ConfigError);
    expect(() => loadConfig(migrationVariables, {})).toThrow(/DATABASE_ADMIN_URL/);
  });

  it('gives every service the same defaults', () => {
    const config = loadConfig(commonVariables, { DATABASE_URL: 'postgres://identity_service@db/parley' });
    expect(config).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      NATS_NAMESPACE: '',
      HTTP_PORT: 3000,
      LOG_LEVEL: 'info',
    });
  });
});
