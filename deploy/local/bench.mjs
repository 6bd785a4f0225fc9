#!/usr/bin/env node
// Builds the workspace and runs every service benchmark (services/*/dist/bench/*.bench.js) one
// after another against the PostgreSQL and NATS named by DATABASE_URL / NATS_URL (or the local
// defaults). Each benchmark prints its figures and writes them under docs/generated/.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const only = process.argv[2];

const run = (command, args) => {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  if (result.status !== 0) {
    process.exit(result.status ?? 1);
  }
};

run('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static']);
for (const service of readdirSync(join(root, 'services'))) {
  const dir = join(root, 'services', service, 'dist', 'bench');
  if ((only && only !== service) || !existsSync(dir)) {
    continue;
  }
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.bench.js'))) {
    console.log(`\n== ${service}: ${file}`);
    run('node', [join(dir, file)]);
  }
}
