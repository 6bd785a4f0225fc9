// Jest loads global teardown outside its module mapper (through CommonJS), hence the .ts path here.
import { deleteTestRunStreams, testRunVariable } from './test-run.ts';

/**
 * Jest global teardown: deletes the JetStream streams the run's namespaces left behind, then stops
 * what the global setup started (containers), if anything.
 */
export default async function globalTeardown(): Promise<void> {
  const run = process.env[testRunVariable];
  const natsUrl = process.env['NATS_URL'];
  if (run !== undefined && natsUrl !== undefined) {
    try {
      const deleted = await deleteTestRunStreams(natsUrl, run);
      process.stdout.write(`Deleted the ${deleted.length} JetStream streams of test run ${run}\n`);
    } catch (error) {
      process.stderr.write(`Could not delete the JetStream streams of test run ${run}: ${String(error)}\n`);
    }
  }
  await globalThis.parleyInfrastructure?.stop();
}
