// Jest loads global setup outside its module mapper (through CommonJS), hence the .ts paths here.
import { resolveInfrastructure, type Infrastructure } from './infrastructure.ts';
import { newTestRunId, testRunVariable } from './test-run.ts';

declare global {
  var parleyInfrastructure: Infrastructure | undefined;
}

/**
 * Jest global setup: resolves PostgreSQL and NATS once for the run and hands them to every worker
 * through DATABASE_URL and NATS_URL, with the run's id (the prefix of its NATS namespaces).
 */
export default async function globalSetup(): Promise<void> {
  process.env[testRunVariable] = newTestRunId();
  const infrastructure = await resolveInfrastructure({
    // Loaded only when needed: Testcontainers is heavy and only used where a Docker engine answers.
    startContainers: async () => (await import('./containers.ts')).startContainers(),
  });
  process.env['DATABASE_URL'] = infrastructure.databaseUrl;
  process.env['NATS_URL'] = infrastructure.natsUrl;
  globalThis.parleyInfrastructure = infrastructure;
}
