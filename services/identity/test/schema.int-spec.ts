import pg from 'pg';
import { checkLoginConfinement, checkSqlConventions, runMigrations, serviceSqlDirectory } from '@parley/db';
import { createTestDatabase, urlForLogin, withClient, type TestDatabase } from '@parley/testing';

describe('identity schema', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await runMigrations({
      adminUrl: database.url,
      schema: 'identity',
      login: { name: 'identity_service' },
      directory: serviceSqlDirectory('identity'),
    });
    // A neighbour the identity login must not reach.
    await withClient(database.url, async (client) => {
      await client.query('CREATE SCHEMA neighbour');
      await client.query('CREATE TABLE neighbour.secrets (id integer PRIMARY KEY, value text)');
      await client.query("INSERT INTO neighbour.secrets VALUES (1, 'hidden')");
    });
  });
  afterAll(() => database.drop());

  it('follows docs/00010-conventions-sql.md', async () => {
    const violations = await withClient(database.url, (client) => checkSqlConventions(client, 'identity'));
    expect(violations).toEqual([]);
  });

  it('confines the identity login to its own schema', async () => {
    const login = new pg.Client({ connectionString: urlForLogin(database.url, 'identity_service') });
    await login.connect();
    try {
      expect(await checkLoginConfinement(login, 'identity')).toEqual([]);
      await expect(login.query('SELECT value FROM neighbour.secrets')).rejects.toThrow(/permission denied/);
      await expect(login.query('CREATE TABLE identity.intruder (id integer)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(login.query('SELECT count(*) FROM identity.users')).resolves.toMatchObject({
        rowCount: 1,
      });
    } finally {
      await login.end();
    }
  });
});
