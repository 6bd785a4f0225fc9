// One Jest run for the whole repository: unit specs (*.spec.ts) sit beside the code, integration
// specs (*.int-spec.ts) live in each package's test/ folder and talk to real PostgreSQL and NATS.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/contracts', '<rootDir>/services'],
  testMatch: ['**/*.spec.ts', '**/*.int-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@parley/contracts$': '<rootDir>/contracts/src/index.ts',
    '^@parley/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  globalTeardown: '<rootDir>/libs/testing/src/global-teardown.ts',
  maxWorkers: 2,
  // A worker that has grown past this after a test file is replaced, so that tests which measure
  // memory (large uploads, broadcasts) never run in a heap swollen by the files before them.
  workerIdleMemoryLimit: '768MB',
  testTimeout: 30000,
  coverageProvider: 'v8',
  collectCoverageFrom: [
    '{libs,contracts,services}/**/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/*.int-spec.ts',
    '!**/main.ts',
    '!**/index.ts',
    '!**/src/bench/**',
    '!libs/testing/src/global-*.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary', 'lcov'],
  coverageThreshold: { global: { lines: 90, branches: 90, functions: 85, statements: 90 } },
};
