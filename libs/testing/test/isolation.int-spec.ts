import { createTestDatabase, uniqueNamespace, urlForLogin, withClient } from '@parley/testing';

describe('test isolation', () => {
  it('creates a fresh database per call and drops it with its sessions', async () => {
    const first = await createTestDatabase();
    const second = await createTestDatabase();
    expect(first.name).not.toBe(second.name);
    expect(first.name).toMatch(/^parley_test_w\d+[0-9a-f]{8}$/);
    const current = await withClient(first.url, async (client) => {
      const result = await client.query<{ name: string }>('select current_database() as name');
      return result.rows[0]?.name;
    });
    expect(current).toBe(first.name);

    await first.drop();
    await second.drop();
    await expect(withClient(first.url, (client) => client.query('select 1'))).rejects.toThrow(
      /does not exist/,
    );
  });

  it('gives every caller its own NATS namespace', () => {
    const names = new Set(Array.from({ length: 50 }, () => uniqueNamespace()));
    expect(names.size).toBe(50);
    for (const name of names) {
      expect(name).toMatch(/^t-[0-9a-f]{6}_w\d+[0-9a-f]{8}$/);
    }
  });

  it('builds the URL of another login on the same database', () => {
    expect(urlForLogin('postgres://postgres@127.0.0.1:5432/db', 'identity_service', 'p w')).toBe(
      'postgres://identity_service:p%20w@127.0.0.1:5432/db',
    );
    expect(urlForLogin('postgres://postgres:x@127.0.0.1:5432/db', 'identity_service')).toBe(
      'postgres://identity_service@127.0.0.1:5432/db',
    );
  });
});
