import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// deploy/generate-service.mjs, run as a person would. Services are generated into scratch
// repositories under tmp/ (ignored by git and lint) rather than into services/: TypeScript and
// Prettier still resolve node_modules and the settings of this repository from there, and nothing
// another test run or engineer looks at ever sees a half-made service.

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const generator = join(repo, 'deploy', 'generate-service.mjs');
const scratchParent = join(repo, 'tmp');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repo, timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const generate = (...args: string[]): Promise<Run> => run(process.execPath, [generator, ...args]);

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

const scratchRoots: string[] = [];

async function scratchRoot(): Promise<string> {
  await mkdir(scratchParent, { recursive: true });
  const root = await mkdtemp(join(scratchParent, 'generate-service-'));
  scratchRoots.push(root);
  return root;
}

afterAll(async () => {
  for (const root of scratchRoots) {
    await rm(root, { recursive: true, force: true });
  }
  // Only when empty: tmp/ may hold other people's scratch files.
  await rmdir(scratchParent).catch(() => undefined);
});

describe('deploy/generate-service.mjs', () => {
  const name = `sample-${randomBytes(3).toString('hex')}`;
  const schema = name.replace('-', '_');
  let root: string;
  let generated: Run;

  beforeAll(async () => {
    root = await scratchRoot();
    generated = await generate(name, '--port', '4321', '--root', root);
  });

  it('creates the standard layout of a service', async () => {
    expect(generated).toMatchObject({ code: 0, stderr: '' });
    expect(await filesUnder(root)).toEqual(
      [
        `deploy/kubernetes/services/${name}/kustomization.yaml`,
        `deploy/kubernetes/services/${name}/secret.yaml`,
        `services/${name}/package.json`,
        `services/${name}/src/${name}.app.ts`,
        `services/${name}/src/${name}.config.ts`,
        `services/${name}/src/${name}.module.ts`,
        `services/${name}/src/bootstrap.service.ts`,
        `services/${name}/src/main.ts`,
        `services/${name}/src/migrate.ts`,
        `services/${name}/test/${name}.harness.ts`,
        `services/${name}/test/health.int-spec.ts`,
        `services/${name}/test/schema.int-spec.ts`,
        `sql/${name}/0001_${schema}_schema.sql`,
      ].sort(),
    );
  });

  it('fills in every placeholder', async () => {
    for (const file of await filesUnder(root)) {
      expect({ file, text: await readFile(join(root, file), 'utf8') }).toEqual({
        file,
        text: expect.not.stringContaining('{{'),
      });
    }
    const read = (file: string) => readFile(join(root, file), 'utf8');
    const manifest = JSON.parse(await read(`services/${name}/package.json`)) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: `@parley/${name}`,
      type: 'module',
      scripts: { build: expect.any(String), start: 'node dist/main.js', migrate: 'node dist/migrate.js' },
      nx: { tags: ['type:service', `scope:${name}`] },
    });
    const pascal = name
      .split('-')
      .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
      .join('');
    expect(await read(`services/${name}/src/${name}.config.ts`)).toContain("default: '4321'");
    const module = await read(`services/${name}/src/${name}.module.ts`);
    expect(module).toContain(`export class ${pascal}Module`);
    expect(module).toContain(`schema: '${schema}'`);
    expect(await read(`services/${name}/src/migrate.ts`)).toContain(`serviceSqlDirectory('${name}')`);
    expect(await read(`sql/${name}/0001_${schema}_schema.sql`)).toContain(`COMMENT ON SCHEMA ${schema} IS`);
    const overlay = await read(`deploy/kubernetes/services/${name}/kustomization.yaml`);
    expect(overlay).toContain(`namePrefix: ${name}-`);
    expect(overlay).toContain(`SERVICE=${name}`);
    expect(await read(`deploy/kubernetes/services/${name}/secret.yaml`)).toContain(
      `postgres://${schema}_service:CHANGE_ME@`,
    );
  });

  it('says what is left to do by hand', () => {
    expect(generated.stdout).toContain(`Created the ${name} service (HTTP port 4321)`);
    expect(generated.stdout).toContain(`Add '${name}' to serviceNames in contracts/src/subjects.ts`);
    expect(generated.stdout).toContain(`add \`'${name}': 4321,\` there`);
    expect(generated.stdout).toContain(`List \`services/${name}\` under resources`);
  });

  it('gives an unknown service a port from 3010 that no other service uses', async () => {
    const other = await scratchRoot();
    const portOf = (result: Run) => Number(/\(HTTP port (\d+)\)/.exec(result.stdout)?.[1]);
    const first = await generate('one-more', '--root', other);
    const second = await generate('yet-another', '--root', other);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(portOf(first)).toBeGreaterThanOrEqual(3010);
    expect(portOf(second)).toBeGreaterThan(portOf(first));
  });

  it('generates code that type-checks under the repository settings', async () => {
    await writeFile(
      join(root, 'tsconfig.json'),
      JSON.stringify({
        extends: join(repo, 'tsconfig.json'),
        include: [join(root, 'services/**/*.ts')],
      }),
    );
    const tsc = await run(process.execPath, [
      join(repo, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.json'),
    ]);
    expect(tsc.stdout).toBe('');
    expect(tsc.code).toBe(0);
  }, 60_000);

  it('generates files formatted as the repository formats them', async () => {
    const prettier = await run(process.execPath, [
      join(repo, 'node_modules', 'prettier', 'bin', 'prettier.cjs'),
      '--check',
      join(root, 'services'),
      join(root, 'deploy'),
    ]);
    expect(prettier.stderr).toBe('');
    expect(prettier.code).toBe(0);
  });

  it('refuses to overwrite an existing service and leaves it as it was', async () => {
    const file = join(root, 'services', name, 'src', 'main.ts');
    const before = await readFile(file, 'utf8');
    const again = await generate(name, '--port', '4000', '--root', root);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`refusing to overwrite services/${name}`);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a name another package of the repository has', async () => {
    const empty = await scratchRoot();
    for (const taken of ['identity', 'testing', 'contracts']) {
      const result = await generate(taken, '--root', empty);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`a package named @parley/${taken} exists already`);
    }
    expect(await filesUnder(empty)).toEqual([]);
  });

  it.each([
    ['Capitals', 'lowercase kebab-case expected'],
    ['snake_case', 'lowercase kebab-case expected'],
    ['9lives', 'lowercase kebab-case expected'],
    ['double--hyphen', 'lowercase kebab-case expected'],
    ['trailing-', 'lowercase kebab-case expected'],
    ['../escape', 'lowercase kebab-case expected'],
    [`a${'b'.repeat(40)}`, 'at most 40 characters'],
    ['common', 'the name is reserved'],
    ['pg-stats', 'the name is reserved'],
  ])('refuses the name %j', async (bad, reason) => {
    const empty = await scratchRoot();
    const result = await generate(bad, '--root', empty);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(reason);
    expect(await filesUnder(empty)).toEqual([]);
  });

  it.each([
    [[], 'a service name is required'],
    [['one', 'two'], 'one service name expected'],
    [['sample', '--port'], '--port needs a value'],
    [['sample', '--port', 'http'], '--port must be a whole number'],
    [['sample', '--port', '70000'], '--port must be a whole number'],
    [['sample', '--force'], 'unknown option --force'],
  ])('rejects the command line %j', async (args, message) => {
    const empty = await scratchRoot();
    const result = await generate('--root', empty, ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: node deploy/generate-service.mjs');
    expect(await filesUnder(empty)).toEqual([]);
  });
});
