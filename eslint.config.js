// One flat config for the whole repository. Lint enforces the architecture: promises are handled,
// switches are exhaustive, a service imports only libs and contracts, subjects come from contracts.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// @nx/enforce-module-boundaries only reads a cached project graph and silently skips itself when
// there is none (a fresh clone, a plain `eslint .`). Computing it here keeps the rule always on;
// Nx reuses its cache, so this costs little when nothing changed.
process.env['NX_DAEMON'] ??= 'false';
process.env['NX_NO_CLOUD'] ??= 'true';
await createProjectGraphAsync({ exitOnError: false });

const typescriptFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];
const testFiles = ['**/*.spec.ts', '**/*.int-spec.ts', '**/test/**/*.ts'];
const scriptFiles = ['**/*.js', '**/*.mjs', '**/*.cjs'];

const serviceNames = ['identity', 'permission', 'conversation', 'notification', 'file', 'realtime-edge'];
// A subject spelled out, whole or as the start/middle of a template (`${ns}.identity.v1.…`).
const subjectPattern = `/(^|\\.)(${serviceNames.join('|')})\\.v1\\./`;
const subjectMessage = 'Subjects come only from @parley/contracts (requestSubject, eventSubject, …).';

/** Tags decide who may import whom; package.json "nx.tags" of each workspace sets them. */
function moduleBoundaries({ allow = [], allowSelfImport = false } = {}) {
  return [
    'error',
    {
      allow,
      allowCircularSelfDependency: allowSelfImport,
      enforceBuildableLibDependency: false,
      depConstraints: [
        { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:contracts'] },
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
      ],
    },
  ];
}

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/coverage/',
    '**/node_modules/',
    '.nx/',
    '.parley/',
    'tmp/',
    '**/generated/',
  ]),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: typescriptFiles,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // One TypeScript program from the root tsconfig.json serves every package.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@nx/enforce-module-boundaries': moduleBoundaries(),
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Nx reports these too; this also catches them where the project graph cannot.
              regex: '(^|/)\\.\\./(services|libs|contracts)(/|$)',
              message: 'Import another package by its name (@parley/<name>), never by a relative path.',
            },
            {
              group: ['@parley/*/*'],
              message: 'Import a package by its name only; its index.ts is the public API.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: `Literal[value=${subjectPattern}]`, message: subjectMessage },
        { selector: `TemplateElement[value.raw=${subjectPattern}]`, message: subjectMessage },
      ],
    },
  },
  {
    // contracts/ is where subjects are defined.
    files: ['contracts/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: testFiles,
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      // A test may spell a subject on purpose: it checks the wire format any NATS client sees.
      'no-restricted-syntax': 'off',
      // Every package's tests may use the shared test infrastructure, and may import their own
      // package by name to test it through its public API.
      '@nx/enforce-module-boundaries': moduleBoundaries({
        allow: ['@parley/testing'],
        allowSelfImport: true,
      }),
      // expect(mock.method).toHaveBeenCalled() passes methods unbound by design.
      '@typescript-eslint/unbound-method': 'off',
      // Asymmetric matchers (expect.any, expect.objectContaining) are typed `any` by Jest.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Stubs satisfy Promise-returning interfaces with `async () => value`.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // A service's integration tests start the services it talks to in-process (the conversation
    // tests run identity and permission beside it) through those services' own test harnesses.
    // Services' source never imports another service.
    files: ['services/*/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: scriptFiles,
    languageOptions: { globals: { ...globals.node } },
  },
  {
    rules: { 'no-console': 'error' },
  },
  {
    // Command-line tools talk to a person on the terminal.
    files: ['deploy/**/*.js', 'deploy/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
