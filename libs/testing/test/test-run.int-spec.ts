import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsUrl, uniqueNamespace } from '../src/isolation.js';
import { deleteTestRunStreams, newTestRunId, testRun, testRunVariable } from '../src/test-run.js';

describe('test runs', () => {
  let connection: NatsConnection;

  beforeAll(async () => {
    connection = await connect({ servers: natsUrl(), name: 'test-run-spec' });
  });

  afterAll(async () => {
    await connection.close();
  });

  it("takes the run's id from the global setup, and names every namespace after it", () => {
    const given = process.env[testRunVariable];
    expect(given).toMatch(/^[0-9a-f]{6}$/);
    expect(testRun()).toBe(given);
    expect(uniqueNamespace().startsWith(`t-${given}_`)).toBe(true);
  });

  it('gives a process outside a run an id of its own, the same every time', () => {
    const given = process.env[testRunVariable];
    try {
      process.env[testRunVariable] = 'not an id';
      const own = testRun();
      expect(own).toMatch(/^[0-9a-f]{6}$/);
      expect(own).not.toBe(given);
      delete process.env[testRunVariable];
      expect(testRun()).toBe(own);
    } finally {
      process.env[testRunVariable] = given;
    }
  });

  it("deletes the streams, buckets and object stores of one run's namespaces and nothing else", async () => {
    const run = newTestRunId();
    const other = newTestRunId();
    const jsm = await jetstreamManager(connection);
    const add = (prefix: string, name: string) =>
      jsm.streams.add({ name: `${prefix.replace(/-/g, '_')}_${name}`, subjects: [`${prefix}.${name}.>`] });
    await add(`t-${run}_w1aaaa`, 'events');
    await add(`t-${run}_w2bbbb`, 'events');
    await add(`t-${other}_w1aaaa`, 'events');
    await new Kvm(connection).create(`t_${run}_w1aaaa_bucket`, { history: 1 });
    try {
      const deleted = await deleteTestRunStreams(natsUrl(), run);
      expect(deleted.sort()).toEqual(
        [`KV_t_${run}_w1aaaa_bucket`, `t_${run}_w1aaaa_events`, `t_${run}_w2bbbb_events`].sort(),
      );
      expect(await deleteTestRunStreams(natsUrl(), run)).toEqual([]);
      expect((await jsm.streams.info(`t_${other}_w1aaaa_events`)).config.name).toBe(
        `t_${other}_w1aaaa_events`,
      );
    } finally {
      await jsm.streams.delete(`t_${other}_w1aaaa_events`);
    }
  });

  it('refuses what is not a run id, so that it never deletes by a wider prefix', async () => {
    await expect(deleteTestRunStreams(natsUrl(), '')).rejects.toThrow('Not a test run id');
    await expect(deleteTestRunStreams(natsUrl(), 'abc')).rejects.toThrow('Not a test run id');
  });
});
