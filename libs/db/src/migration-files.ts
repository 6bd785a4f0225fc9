import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParleyError } from '@parley/contracts';

/** Where the schema name goes in `sql/common/` files; the runner substitutes it. */
export const schemaToken = '{{schema}}';

/** `sql/common/` of this repository (beside `libs/`, the same from `src/` and `dist/`). */
export const commonSqlDirectory = fileURLToPath(new URL('../../../sql/common/', import.meta.url));

/** `sql/<service>/` of this repository. */
export function serviceSqlDirectory(service: string): string {
  return fileURLToPath(new URL(`../../../sql/${service}/`, import.meta.url));
}

export interface MigrationFile {
  /** What `schema_migrations` records: `<prefix>/<file name>`. */
  name: string;
  path: string;
  /** The file as written; the checksum is over these bytes. */
  sql: string;
  /** SHA-256 of the file, hex. */
  checksum: string;
}

const fileName = /^(\d{4})_[a-z0-9]+(_[a-z0-9]+)*\.sql$/;
// A file's own transaction control would split it from the row that records it.
const transactionControl =
  /^\s*(begin\s*(transaction|work)?\s*;|start\s+transaction\b|commit\b|rollback\b|end\s+(transaction|work)\b)/im;

/**
 * Reads a migration folder: every file must be `NNNN_<description>.sql` (Markdown notes are
 * allowed beside them), sequence numbers unique; returned in sequence order.
 */
export async function readMigrationDirectory(
  directory: string,
  options: { prefix: string; allowSchemaToken: boolean },
): Promise<MigrationFile[]> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch (error) {
    const failure = new ParleyError('not_found', `Migration folder ${directory} cannot be read`, {
      directory,
    });
    failure.cause = error;
    throw failure;
  }
  const files: MigrationFile[] = [];
  const sequences = new Map<string, string>();
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.md')) {
      continue;
    }
    const match = entry.isFile() ? fileName.exec(entry.name) : null;
    if (!match) {
      throw new ParleyError(
        'validation_failed',
        `Unexpected entry "${entry.name}" in ${directory}: only NNNN_<description>.sql files belong there`,
        {
          directory,
          file: entry.name,
        },
      );
    }
    const sequence = match[1] as string;
    const clash = sequences.get(sequence);
    if (clash !== undefined) {
      throw new ParleyError(
        'validation_failed',
        `Migrations ${clash} and ${entry.name} share the sequence number ${sequence}`,
        {
          directory,
          files: [clash, entry.name],
        },
      );
    }
    sequences.set(sequence, entry.name);
    const path = join(directory, entry.name);
    const bytes = await readFile(path);
    const sql = bytes.toString('utf8');
    checkContent(entry.name, sql, options.allowSchemaToken);
    files.push({
      name: `${options.prefix}/${entry.name}`,
      path,
      sql,
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return files.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function checkContent(file: string, sql: string, allowSchemaToken: boolean): void {
  if (!allowSchemaToken && sql.includes(schemaToken)) {
    throw new ParleyError(
      'validation_failed',
      `${file} uses ${schemaToken}, which only sql/common/ files may: name the schema`,
      {
        file,
      },
    );
  }
  const control = transactionControl.exec(sql);
  if (control) {
    throw new ParleyError(
      'validation_failed',
      `${file} controls its own transaction ("${control[0].trim()}"): the runner wraps each file in one`,
      {
        file,
      },
    );
  }
}

/** The SQL to execute for a file: the schema token replaced (common files only contain it). */
export function renderMigration(file: MigrationFile, schema: string): string {
  return file.sql.split(schemaToken).join(schema);
}
