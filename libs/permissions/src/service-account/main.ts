// Creates a service's own account once, as the platform operator: run it as a one-shot container
// or Kubernetes Job before the service starts (deploy/README.md, "Service accounts").
//   node libs/permissions/dist/service-account/main.js
import { loadConfig } from '@parley/config';
import { connectNats, Namespace, NatsRpcClient } from '@parley/nats';
import { ensureServiceAccount, serviceAccountSetupConfig } from './setup.js';

const config = loadConfig(serviceAccountSetupConfig);
const nats = await connectNats({ url: config.NATS_URL, name: 'service-account-setup' });
try {
  const outcome = await ensureServiceAccount({
    rpc: new NatsRpcClient(nats, new Namespace(config.NATS_NAMESPACE)),
    operator: { email: config.PLATFORM_OPERATOR_EMAIL, password: config.PLATFORM_OPERATOR_PASSWORD },
    account: {
      tenant: config.SERVICE_ACCOUNT_TENANT,
      email: config.SERVICE_ACCOUNT_EMAIL,
      password: config.SERVICE_ACCOUNT_PASSWORD,
      fullName: config.SERVICE_ACCOUNT_NAME,
    },
    waitMs: 120_000,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `service account ${config.SERVICE_ACCOUNT_EMAIL}: ${outcome.created ? 'created' : 'present'}, ` +
      `platform-service ${outcome.assigned ? 'assigned' : 'held'}\n`,
  );
} catch (error) {
  process.stderr.write(
    `service account setup failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await nats.drain();
}
