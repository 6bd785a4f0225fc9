#!/usr/bin/env node
// Creates a new service with the standard layout, from the templates in deploy/templates/service/:
//
//   node deploy/generate-service.mjs <name> [--port N] [--root DIR]
//
//   <name>      lowercase kebab-case, e.g. one of serviceNames in contracts/src/subjects.ts
//   --port N    default HTTP port (default: the local launcher's port for the name, else the first
//               free one from 3010)
//   --root DIR  write into DIR instead of this repository (previews, tests); what the generator
//               reads (the subject catalogue, the launcher's port table) still comes from here
//
// Nothing is overwritten: the generator refuses when services/<name>, sql/<name> or the Kubernetes
// overlay already exists. Template files end in `.tpl` (so no compiler, test runner or linter picks
// them up); `{{placeholder}}` in their paths and contents is filled in, and every placeholder must
// be known. Imports only Node built-ins, and Prettier (a dev dependency) when it is installed.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const templates = join(repo, 'deploy', 'templates', 'service');
const firstFreePort = 3010;
// A PostgreSQL login is `<schema>_service` and must stay within 63 bytes; stream and consumer
// names grow from the name too. 40 leaves room everywhere.
const maxNameLength = 40;
const kebabCase = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
// Names PostgreSQL reserves for schemas, and `common`, the folder of the shared SQL prelude.
const reservedNames = new Set(['common', 'public', 'information-schema']);

/** A problem the person running the generator must fix; printed without a stack. */
class GenerateError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

const usage = 'usage: node deploy/generate-service.mjs <name> [--port N] [--root DIR]';

function parseArgs(args) {
  const options = { name: undefined, port: undefined, root: repo };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      return { help: true };
    }
    if (arg === '--port' || arg === '--root') {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) {
        throw new GenerateError(`${arg} needs a value\n${usage}`, 2);
      }
      i += 1;
      if (arg === '--port') {
        options.port = parsePort(value);
      } else {
        options.root = resolve(value);
      }
    } else if (arg.startsWith('-')) {
      throw new GenerateError(`unknown option ${arg}\n${usage}`, 2);
    } else if (options.name === undefined) {
      options.name = arg;
    } else {
      throw new GenerateError(`one service name expected, got "${options.name}" and "${arg}"\n${usage}`, 2);
    }
  }
  if (options.name === undefined) {
    throw new GenerateError(`a service name is required\n${usage}`, 2);
  }
  return options;
}

function parsePort(value) {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new GenerateError(`--port must be a whole number from 1 to 65535, got "${value}"\n${usage}`, 2);
  }
  return port;
}

// ---------------------------------------------------------------------------------------------
// What the repository already says

function readText(path) {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/** `serviceNames` of contracts/src/subjects.ts, the services the subject grammar knows. */
function catalogue() {
  const source = readText(join(repo, 'contracts', 'src', 'subjects.ts')) ?? '';
  const list = /export const serviceNames = \[([^\]]*)\]/.exec(source);
  return list ? [...list[1].matchAll(/'([^']+)'/g)].map((match) => match[1]) : [];
}

/** `servicePorts` of the local launcher: the fixed HTTP port of each known service. */
function launcherPorts() {
  const source = readText(join(repo, 'deploy', 'local', 'parley.mjs')) ?? '';
  const table = /const servicePorts = \{([^}]*)\}/.exec(source);
  const ports = new Map();
  for (const match of table ? table[1].matchAll(/'?([a-z][a-z0-9-]*)'?\s*:\s*(\d+)/g) : []) {
    ports.set(match[1], Number(match[2]));
  }
  return ports;
}

function subfolders(path) {
  return existsSync(path)
    ? readdirSync(path, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(path, entry.name))
    : [];
}

/** Names of the workspace packages of this repository (`@parley/<name>`). */
function packageNames() {
  const folders = [
    join(repo, 'contracts'),
    ...subfolders(join(repo, 'libs')),
    ...subfolders(join(repo, 'services')),
  ];
  return folders
    .map((folder) => readText(join(folder, 'package.json')))
    .filter((text) => text !== undefined)
    .map((text) => JSON.parse(text).name)
    .filter((name) => typeof name === 'string');
}

/** HTTP port defaults of the services in `roots` (`HTTP_PORT: env.port({ … default: 'N' })`). */
function configuredPorts(roots) {
  const ports = [];
  for (const folder of [...new Set(roots)].flatMap((root) => subfolders(join(root, 'services')))) {
    const src = join(folder, 'src');
    const configs = existsSync(src) ? readdirSync(src).filter((file) => file.endsWith('.config.ts')) : [];
    for (const file of configs) {
      const match = /HTTP_PORT:\s*env\.port\(\{[^}]*?default:\s*'(\d+)'/.exec(
        readFileSync(join(src, file), 'utf8'),
      );
      if (match) {
        ports.push(Number(match[1]));
      }
    }
  }
  return ports;
}

// ---------------------------------------------------------------------------------------------
// Names

function checkName(name) {
  if (!kebabCase.test(name)) {
    throw new GenerateError(
      `invalid service name "${name}": lowercase kebab-case expected (letters, digits and single hyphens, starting with a letter)`,
    );
  }
  if (name.length > maxNameLength) {
    throw new GenerateError(`invalid service name "${name}": at most ${maxNameLength} characters`);
  }
  if (reservedNames.has(name) || name.startsWith('pg-')) {
    throw new GenerateError(`invalid service name "${name}": the name is reserved`);
  }
}

const words = (name) => name.split('-');
const capitalise = (word) => word.charAt(0).toUpperCase() + word.slice(1);

/** The values of the template placeholders for a service. */
function placeholdersFor(name, port) {
  const [first = '', ...rest] = words(name);
  return {
    name,
    Name: words(name).map(capitalise).join(''),
    camelName: first + rest.map(capitalise).join(''),
    schema: words(name).join('_'),
    port: String(port),
  };
}

function fill(text, values, where) {
  const filled = text.replace(/\{\{(\w+)\}\}/g, (token, key) => {
    if (!Object.hasOwn(values, key)) {
      throw new GenerateError(`unknown placeholder ${token} in ${where}`);
    }
    return values[key];
  });
  if (filled.includes('{{')) {
    throw new GenerateError(`malformed placeholder left in ${where}`);
  }
  return filled;
}

// ---------------------------------------------------------------------------------------------
// Templates

function templateFiles(folder = templates) {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      return templateFiles(path);
    }
    return entry.name.endsWith('.tpl') ? [path] : [];
  });
}

/** Formats the generated files as `npm run format` would; skipped when Prettier is not installed. */
async function format(files) {
  let prettier;
  try {
    prettier = await import('prettier');
  } catch {
    return false;
  }
  const config = (await prettier.resolveConfig(join(repo, 'package.json'))) ?? {};
  for (const file of files) {
    // The path picks the parser, as for `prettier --write` (package.json is printed like npm does).
    const filepath = join(repo, file.path);
    const { inferredParser } = await prettier.getFileInfo(filepath);
    if (inferredParser !== null) {
      file.content = await prettier.format(file.content, { ...config, filepath });
    }
  }
  return true;
}

/** The folders a service owns, relative to the repository root. */
function ownedFolders(name) {
  return [join('services', name), join('sql', name), join('deploy', 'kubernetes', 'services', name)];
}

async function generate({ name, port, root }) {
  checkName(name);
  const existing = ownedFolders(name).filter((folder) => existsSync(join(root, folder)));
  if (existing.length > 0) {
    throw new GenerateError(
      `refusing to overwrite ${existing.join(', ')}: choose another name or remove them first`,
    );
  }
  if (packageNames().includes(`@parley/${name}`)) {
    throw new GenerateError(`a package named @parley/${name} exists already`);
  }
  const table = launcherPorts();
  const taken = new Set([...table.values(), ...configuredPorts([repo, root])]);
  let chosen = port ?? table.get(name);
  if (chosen === undefined) {
    chosen = firstFreePort;
    while (taken.has(chosen)) {
      chosen += 1;
    }
  }
  const values = placeholdersFor(name, chosen);
  const files = templateFiles().map((template) => {
    const path = fill(relative(templates, template).slice(0, -'.tpl'.length), values, template);
    return { path, content: fill(readFileSync(template, 'utf8'), values, template) };
  });
  const formatted = await format(files);

  // All or nothing: on failure, remove exactly the folders this run created (mkdirSync returns the
  // first one it made, undefined when the folder was there already).
  const created = [];
  try {
    for (const folder of ownedFolders(name)) {
      const made = mkdirSync(join(root, folder), { recursive: true });
      if (made === undefined) {
        throw new GenerateError(`${folder} appeared while generating: nothing written`);
      }
      created.push(made);
    }
    for (const file of files) {
      const target = join(root, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content, { flag: 'wx' });
    }
  } catch (error) {
    for (const folder of created) {
      rmSync(folder, { recursive: true, force: true });
    }
    throw error;
  }
  return {
    values,
    files: files.map((file) => file.path),
    formatted,
    table,
    catalogued: catalogue().includes(name),
  };
}

function nextSteps({ values, table, catalogued, formatted }) {
  const { name, port } = values;
  const steps = [];
  if (!catalogued) {
    steps.push(
      `Add '${name}' to serviceNames in contracts/src/subjects.ts (and to serviceNames in eslint.config.js): ` +
        'until then the service has no event subjects and no event stream.',
    );
  }
  if (table.get(name) === undefined) {
    steps.push(
      `The local launcher reads fixed ports from servicePorts in deploy/local/parley.mjs; add ` +
        `\`'${name}': ${port},\` there, or it runs the service on a port from ${firstFreePort} up.`,
    );
  } else if (String(table.get(name)) !== port) {
    steps.push(
      `The local launcher runs ${name} on port ${table.get(name)} (servicePorts in deploy/local/parley.mjs), ` +
        `not ${port}: change one of them.`,
    );
  }
  steps.push(
    `Run \`npm install\` once so that @parley/${name} is in package-lock.json (\`npm start\` does it too).`,
    `List \`services/${name}\` under resources in deploy/kubernetes/kustomization.yaml.`,
    `Add \`${name}-migrate\` and \`${name}\` to docker-compose.yml (copy the identity pair, port ${port}).`,
    `Run its tests: NODE_OPTIONS=--experimental-vm-modules npx jest services/${name} --coverage=false`,
  );
  if (name === 'realtime-edge') {
    steps.push(
      'realtime-edge owns no schema (docs/architecture.md): remove DbModule, OutboxModule, the database ' +
        'readiness check, src/migrate.ts, sql/realtime-edge, test/schema.int-spec.ts and, in its overlay, ' +
        'the migration Job and the database Secrets.',
    );
  }
  if (!formatted) {
    steps.push(
      'Prettier is not installed, so the files are as the templates wrote them: run `npm run format`.',
    );
  }
  return steps;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(usage);
    return 0;
  }
  const result = await generate(options);
  const shown = options.root === repo ? '' : ` in ${options.root}`;
  console.log(`Created the ${result.values.name} service (HTTP port ${result.values.port})${shown}:`);
  for (const file of result.files.toSorted()) {
    console.log(`  ${file.split(sep).join('/')}`);
  }
  console.log('\nNext:');
  for (const step of nextSteps(result)) {
    console.log(`  - ${step}`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(
      `generate-service: ${error instanceof GenerateError ? error.message : (error?.stack ?? error)}`,
    );
    process.exitCode = error instanceof GenerateError ? error.exitCode : 1;
  },
);
