import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  buildAsyncApi,
  buildSubjectCatalog,
  findDrift,
  generatedFiles,
  writeGenerated,
} from '../src/generate.js';
import { eventCatalog, requestCatalog } from '../src/catalog.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('generated contract documents', () => {
  it('are committed and up to date (run `npm run generate -w @parley/contracts` after changing contracts)', () => {
    expect(findDrift(root)).toEqual([]);
  });

  it('describe every request and event subject in AsyncAPI 3', () => {
    const doc = buildAsyncApi() as { asyncapi: string; channels: Record<string, { address: string | null }> };
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels).map((channel) => channel.address);
    for (const contract of requestCatalog) {
      expect(addresses).toContain(contract.subject);
    }
    for (const contract of eventCatalog) {
      expect(addresses).toContain(`${contract.service}.v1.events.{tenantId}.${contract.type}`);
    }
  });

  it('documents request payloads as JSON Schema with their limits', () => {
    const doc = buildAsyncApi() as { components: { messages: Record<string, { payload: unknown }> } };
    const login = doc.components.messages['IdentityV1SessionLoginRequest']?.payload as {
      properties: Record<string, { maxLength?: number }>;
      required: string[];
    };
    expect(login.required).toEqual(expect.arrayContaining(['tenant', 'email', 'password']));
    expect(login.properties['password']?.maxLength).toBe(256);
  });

  it('lists subjects in the Markdown catalog', () => {
    const catalog = buildSubjectCatalog();
    expect(catalog).toContain('| `identity.v1.session.login` | none |');
    expect(catalog).toContain('`identity.v1.events.<tenant-id>.user.created`');
  });

  it('reports missing or stale files and writes fresh ones', () => {
    const scratch = mkdtempSync(`${tmpdir()}/parley-contracts-`);
    expect(findDrift(scratch)).toEqual(generatedFiles().map((file) => file.path));
    writeGenerated(scratch);
    expect(findDrift(scratch)).toEqual([]);
    const first = generatedFiles()[0]!;
    mkdirSync(dirname(`${scratch}/${first.path}`), { recursive: true });
    writeFileSync(`${scratch}/${first.path}`, 'stale');
    expect(findDrift(scratch)).toEqual([first.path]);
    expect(
      readFileSync(
        `${scratch}/${generatedFiles().find((file) => file.path.endsWith('subjects.md'))!.path}`,
        'utf8',
      ),
    ).toContain('# Subject catalog');
  });
});

describe('permission catalog document', () => {
  it('lists every declared permission with its scope', async () => {
    const { buildPermissionCatalog } = await import('../src/generate.js');
    const table = buildPermissionCatalog();
    expect(table).toContain('| `identity:tenant:create` | identity | tenant only |');
    expect(table).toContain('| `identity:user:suspend` | identity | user |');
    expect(table).toContain('`permission:tenant-administrator:bootstrap`');
  });
});

describe('JSON Schema document', () => {
  it('holds a schema for every request, response and event', async () => {
    const { buildJsonSchemas } = await import('../src/generate.js');
    const defs = (buildJsonSchemas() as { $defs: Record<string, { type?: string }> }).$defs;
    for (const contract of requestCatalog) {
      expect(defs[`${contract.subject}.request`]).toBeDefined();
      expect(defs[`${contract.subject}.response`]).toBeDefined();
    }
    for (const contract of eventCatalog) {
      expect(defs[`${contract.service}.v1.events.{tenantId}.${contract.type}`]?.type).toBe('object');
    }
    expect(defs['ErrorEnvelope']).toBeDefined();
  });
});
