// Loaded by the global teardown outside Jest's module mapper (through CommonJS): only packages
// that load that way are imported here.
import { randomBytes } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** The environment variable through which the global setup hands the run's id to the workers. */
export const testRunVariable = 'PARLEY_TEST_RUN';

/** A run's id: six lowercase hex digits, never a prefix of anything wider than one run. */
const runIdPattern = /^[0-9a-f]{6}$/;

let ownRun: string | undefined;

/**
 * The id of this test run: the global setup sets it for the workers, so that every NATS namespace
 * of the run starts with `t-<run>_` and the teardown can remove what the run left behind. A process
 * outside a Jest run gets an id of its own.
 */
export function testRun(): string {
  const given = process.env[testRunVariable];
  if (given !== undefined && runIdPattern.test(given)) {
    return given;
  }
  ownRun ??= newTestRunId();
  return ownRun;
}

export function newTestRunId(): string {
  return randomBytes(3).toString('hex');
}

/**
 * Deletes the JetStream streams, key-value buckets and object stores of every namespace of a test
 * run (the names `Namespace.stream` gives them start with `t_<run>_`); returns the names deleted.
 */
export async function deleteTestRunStreams(natsUrl: string, run: string): Promise<string[]> {
  if (!runIdPattern.test(run)) {
    throw new Error(`Not a test run id: "${run}"`);
  }
  const own = `t_${run}_`;
  const connection = await connect({ servers: natsUrl, name: `test-run-${run}-cleanup` });
  try {
    const jsm = await jetstreamManager(connection);
    const names: string[] = [];
    for await (const name of jsm.streams.names()) {
      if ([own, `KV_${own}`, `OBJ_${own}`].some((prefix) => name.startsWith(prefix))) {
        names.push(name);
      }
    }
    const deleted: string[] = [];
    for (const name of names) {
      try {
        await jsm.streams.delete(name);
        deleted.push(name);
      } catch (error) {
        // Deleted meanwhile by someone else is as good as deleted here.
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) {
          throw error;
        }
      }
    }
    return deleted;
  } finally {
    await connection.close();
  }
}
