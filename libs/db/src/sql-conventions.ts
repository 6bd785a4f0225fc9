import type pg from 'pg';
import { ParleyError } from '@parley/contracts';
import { checkIdentifier, conventionalName, isSnakeCase, maxIdentifierBytes } from './sql-names.js';

/**
 * Every rule of docs/00010-conventions-sql.md that can be checked on a migrated schema. The ids
 * appear in the document next to the rule they enforce.
 */
export const sqlRules = [
  'table_name',
  'table_plural',
  'table_comment',
  'column_name',
  'column_comment',
  'column_scratch',
  'type_timestamp',
  'type_text',
  'type_json',
  'time_name',
  'boolean_name',
  'text_length',
  'primary_key',
  'id_column',
  'natural_key',
  'created_at',
  'updated_at',
  'updated_at_trigger',
  'history',
  'history_trigger',
  'soft_delete',
  'foreign_key_name',
  'foreign_key_column',
  'foreign_key_index',
  'foreign_key_schema',
  'unique_name',
  'check_name',
  'exclusion_name',
  'index_name',
  'trigger_name',
  'enum_name',
  'enum_value',
  'enum_comment',
] as const;
export type SqlRule = (typeof sqlRules)[number];

export interface Violation {
  rule: SqlRule;
  /** `<schema>.<table>[.<column>]`, or the constraint, index, trigger or type concerned. */
  object: string;
  message: string;
}

/** Anything that runs a query: `pg.Client`, `pg.Pool`, a pool client. */
export interface SqlQueryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** Comment markers (at the start of a line, then the reason) that declare an exception. */
export const tableMarkers = ['append-only', 'no-history', 'natural-key'] as const;
export type TableMarker = (typeof tableMarkers)[number];
const columnMarker = 'unbounded';

const maxTableBytes = maxIdentifierBytes - '_history'.length;
const obviousColumns = new Set(['id', 'tenant_id', 'created_at', 'updated_at', 'deleted_at']);
const irregularPlurals = new Set(['people', 'children', 'data', 'media', 'metadata', 'criteria']);
const scratchWords = new Set(['debug', 'scratch', 'tmp', 'temp']);
const booleanPrefixes = ['is_', 'has_', 'allows_', 'requires_'];
const nowDefaults = new Set(['now()', 'CURRENT_TIMESTAMP']);

// pg_trigger.tgtype bits.
const triggerRow = 1;
const triggerBefore = 2;
const triggerDelete = 8;
const triggerUpdate = 16;
const triggerInstead = 64;

interface TableRow {
  name: string;
  comment: string | null;
}
interface ColumnRow {
  table: string;
  name: string;
  not_null: boolean;
  type: string;
  base_type: string;
  is_array: boolean;
  default_expression: string | null;
  default_is_uuid_v7: boolean;
  comment: string | null;
}
interface ConstraintRow {
  table: string;
  name: string;
  kind: 'p' | 'f' | 'u' | 'c' | 'x';
  columns: string[];
  foreign_schema: string | null;
}
interface IndexRow {
  table: string;
  name: string;
  is_unique: boolean;
  backs_constraint: boolean;
  /** Key columns in order; null for an expression. */
  columns: (string | null)[];
}
interface TriggerRow {
  table: string;
  name: string;
  type: number;
  function: string;
  function_schema: string;
}
interface EnumRow {
  name: string;
  comment: string | null;
  labels: string[];
}

interface Table {
  name: string;
  comment: string | null;
  markers: Map<TableMarker, string>;
  columns: ColumnRow[];
  constraints: ConstraintRow[];
  indexes: IndexRow[];
  triggers: TriggerRow[];
}

/**
 * Introspects `schema` and returns every violation of the SQL conventions that can be found
 * mechanically (see `sqlRules`). An empty list means the schema complies.
 */
export async function checkSqlConventions(client: SqlQueryable, schema: string): Promise<Violation[]> {
  checkIdentifier('schema', schema);
  const present = await client.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  if (present.rowCount === 0) {
    throw new ParleyError('not_found', `Schema ${schema} does not exist`, { schema });
  }
  // One after the other: a single pg.Client must not be given a query while one is running.
  const tables = await client.query<TableRow>(tablesSql, [schema]);
  const columns = await client.query<ColumnRow>(columnsSql, [schema]);
  const constraints = await client.query<ConstraintRow>(constraintsSql, [schema]);
  const indexes = await client.query<IndexRow>(indexesSql, [schema]);
  const triggers = await client.query<TriggerRow>(triggersSql, [schema]);
  const enums = await client.query<EnumRow>(enumsSql, [schema]);
  const checker = new Checker(schema);
  const byName = new Map<string, Table>();
  for (const row of tables.rows) {
    byName.set(row.name, {
      name: row.name,
      comment: row.comment,
      markers: checker.markersOf(row.name, row.comment),
      columns: columns.rows.filter((column) => column.table === row.name),
      constraints: constraints.rows.filter((constraint) => constraint.table === row.name),
      indexes: indexes.rows.filter((index) => index.table === row.name),
      triggers: triggers.rows.filter((trigger) => trigger.table === row.name),
    });
  }
  for (const table of byName.values()) {
    checker.checkTable(table, byName);
  }
  for (const type of enums.rows) {
    checker.checkEnum(type);
  }
  return checker.violations;
}

class Checker {
  readonly violations: Violation[] = [];

  constructor(private readonly schema: string) {}

  private report(rule: SqlRule, object: string, message: string): void {
    this.violations.push({ rule, object: `${this.schema}.${object}`, message });
  }

  markersOf(table: string, comment: string | null): Map<TableMarker, string> {
    const markers = new Map<TableMarker, string>();
    for (const line of (comment ?? '').split('\n').map((each) => each.trimStart())) {
      const marker = tableMarkers.find((candidate) => line.startsWith(`${candidate}:`));
      if (marker === undefined) {
        continue;
      }
      const reason = line.slice(marker.length + 1).trim();
      if (reason === '') {
        this.report('table_comment', table, `The ${marker}: marker needs a reason`);
      }
      markers.set(marker, reason);
    }
    return markers;
  }

  checkTable(table: Table, all: Map<string, Table>): void {
    const source = table.name.endsWith('_history')
      ? all.get(table.name.slice(0, -'_history'.length))
      : undefined;
    if (!table.comment?.trim()) {
      this.report('table_comment', table.name, 'Every table needs a COMMENT ON TABLE saying what one row is');
    }
    if (source === undefined) {
      this.checkTableName(table);
      for (const column of table.columns) {
        this.checkColumn(table, column);
      }
      this.checkKeys(table);
      this.checkTimestamps(table);
      this.checkHistory(table, all);
    }
    for (const constraint of table.constraints) {
      this.checkConstraint(table, constraint);
    }
    for (const index of table.indexes) {
      this.checkIndex(table, index);
    }
    for (const trigger of table.triggers) {
      if (!nameMatches(trigger.name, `trg_${table.name}`, 'required')) {
        this.report('trigger_name', trigger.name, `Trigger names are trg_${table.name}_<what>`);
      }
    }
  }

  private checkTableName(table: Table): void {
    if (!isSnakeCase(table.name)) {
      this.report('table_name', table.name, 'Table names are lowercase snake_case');
    } else if (Buffer.byteLength(table.name) > maxTableBytes) {
      this.report(
        'table_name',
        table.name,
        `Table names have at most ${maxTableBytes} bytes, so that <table>_history fits`,
      );
    }
    const last = table.name.split('_').at(-1) ?? table.name;
    const plural =
      irregularPlurals.has(last) || (last.endsWith('s') && !last.endsWith('ss') && !last.endsWith('us'));
    if (!plural) {
      this.report('table_plural', table.name, 'Table names are plural nouns');
    }
  }

  private checkColumn(table: Table, column: ColumnRow): void {
    const object = `${table.name}.${column.name}`;
    const name = column.name;
    if (!isSnakeCase(name)) {
      this.report('column_name', object, 'Column names are lowercase snake_case');
    }
    if (name.split('_').some((word) => scratchWords.has(word))) {
      this.report('column_scratch', object, 'No scratch or debug columns');
    }
    const type = column.base_type;
    if (type === 'timestamp' || type === 'time' || type === 'timetz') {
      this.report('type_timestamp', object, `Points in time are timestamptz, not ${column.type}`);
    }
    if (type === 'varchar' || type === 'bpchar') {
      this.report('type_text', object, `Text is text with a length CHECK, not ${column.type}`);
    }
    if (type === 'json') {
      this.report('type_json', object, 'JSON is jsonb');
    }
    this.checkTimeName(object, column);
    if (type === 'bool' && !booleanPrefixes.some((prefix) => name.startsWith(prefix))) {
      this.report('boolean_name', object, `Boolean names start with ${booleanPrefixes.join(', ')}`);
    }
    const comment = column.comment?.trim() ?? '';
    if (type === 'text' && !column.is_array && !comment.startsWith(`${columnMarker}:`)) {
      const check = conventionalName(`ck_${table.name}_${name}_length`);
      if (
        !table.constraints.some(
          (constraint) =>
            constraint.kind === 'c' && constraint.name === check && constraint.columns.includes(name),
        )
      ) {
        this.report(
          'text_length',
          object,
          `Text columns have a length limit ${check} (or a column comment starting with "${columnMarker}:")`,
        );
      }
    }
    if (comment === '' && !obviousColumns.has(name) && !isSoleForeignKey(table, name)) {
      this.report(
        'column_comment',
        object,
        'Columns other than id, tenant_id, foreign keys and the time stamps need a COMMENT ON COLUMN',
      );
    }
    if (name === 'is_deleted' || name === 'is_soft_deleted') {
      this.report('soft_delete', object, 'Soft delete is deleted_at alone, with no boolean beside it');
    }
    if (name === 'deleted_at' && column.not_null) {
      this.report('soft_delete', object, 'deleted_at is nullable: NULL means not deleted');
    }
  }

  private checkTimeName(object: string, column: ColumnRow): void {
    const { name, base_type: type } = column;
    if (column.is_array) {
      return;
    }
    if (name.endsWith('_date')) {
      this.report(
        'time_name',
        object,
        'No _date suffix: instants are timestamptz <verb>_at, calendar days are date <verb>_on',
      );
    } else if (type === 'timestamptz' && !name.endsWith('_at')) {
      this.report('time_name', object, 'timestamptz columns are named <verb>_at');
    } else if (name.endsWith('_at') && type !== 'timestamptz') {
      this.report('time_name', object, '<verb>_at columns are timestamptz');
    } else if (type === 'date' && !name.endsWith('_on')) {
      this.report('time_name', object, 'date columns are named <verb>_on');
    }
  }

  private checkKeys(table: Table): void {
    const primary = table.constraints.find((constraint) => constraint.kind === 'p');
    if (primary === undefined) {
      this.report('primary_key', table.name, `Every table has a primary key pk_${table.name}`);
      return;
    }
    const idColumn = table.columns.find((column) => column.name === 'id');
    const keyIsId = primary.columns.length === 1 && primary.columns[0] === 'id';
    if (keyIsId && idColumn !== undefined) {
      const extension = isSoleForeignKey(table, 'id');
      const defaultOk =
        idColumn.default_is_uuid_v7 && /(^|\.)uuid_generate_v7\(\)$/.test(idColumn.default_expression ?? '');
      if (
        idColumn.base_type !== 'uuid' ||
        idColumn.is_array ||
        !idColumn.not_null ||
        (!extension && !defaultOk)
      ) {
        this.report(
          'id_column',
          `${table.name}.id`,
          `The key is id uuid NOT NULL DEFAULT ${this.schema}.uuid_generate_v7()`,
        );
      }
    } else {
      if (idColumn !== undefined) {
        this.report('id_column', `${table.name}.id`, 'A column named id is the primary key');
      }
      const joinTable =
        primary.columns.length >= 2 && primary.columns.every((column) => column.endsWith('_id'));
      if (!joinTable && !table.markers.has('natural-key')) {
        this.report(
          'natural_key',
          table.name,
          'A primary key other than id needs a "natural-key:" line in the table comment',
        );
      }
    }
  }

  private checkTimestamps(table: Table): void {
    const column = (name: string): ColumnRow | undefined =>
      table.columns.find((candidate) => candidate.name === name);
    const stamp = (found: ColumnRow): boolean =>
      found.base_type === 'timestamptz' &&
      !found.is_array &&
      found.not_null &&
      nowDefaults.has(found.default_expression ?? '');
    const created = column('created_at');
    if (created === undefined || !stamp(created)) {
      this.report('created_at', table.name, 'Every table has created_at timestamptz NOT NULL DEFAULT now()');
    }
    const updated = column('updated_at');
    const appendOnly = table.markers.has('append-only');
    if (updated === undefined) {
      if (!appendOnly) {
        this.report(
          'updated_at',
          table.name,
          'Mutable tables have updated_at; append-only ones say "append-only:" in their comment',
        );
      }
      return;
    }
    if (appendOnly) {
      this.report('updated_at', table.name, 'An append-only table has no updated_at');
    }
    if (!stamp(updated)) {
      this.report(
        'updated_at',
        `${table.name}.updated_at`,
        'updated_at is timestamptz NOT NULL DEFAULT now()',
      );
    }
    const trigger = table.triggers.find(
      (candidate) => candidate.name === conventionalName(`trg_${table.name}_set_updated_at`),
    );
    const ok =
      trigger !== undefined &&
      (trigger.type & triggerRow) !== 0 &&
      (trigger.type & triggerBefore) !== 0 &&
      (trigger.type & triggerUpdate) !== 0 &&
      this.isOwnFunction(trigger, 'set_updated_at');
    if (!ok) {
      this.report(
        'updated_at_trigger',
        table.name,
        `updated_at is kept by trg_${table.name}_set_updated_at BEFORE UPDATE FOR EACH ROW EXECUTE FUNCTION ${this.schema}.set_updated_at()`,
      );
    }
  }

  private checkHistory(table: Table, all: Map<string, Table>): void {
    if (!table.columns.some((column) => column.name === 'updated_at') || table.markers.has('no-history')) {
      return;
    }
    const trigger = table.triggers.find(
      (candidate) => candidate.name === conventionalName(`trg_${table.name}_log_history`),
    );
    const triggerOk =
      trigger !== undefined &&
      (trigger.type & triggerRow) !== 0 &&
      (trigger.type & (triggerBefore | triggerInstead)) === 0 &&
      (trigger.type & triggerUpdate) !== 0 &&
      (trigger.type & triggerDelete) !== 0 &&
      this.isOwnFunction(trigger, 'log_history');
    if (!triggerOk) {
      this.report(
        'history_trigger',
        table.name,
        `History is written by trg_${table.name}_log_history AFTER UPDATE OR DELETE FOR EACH ROW EXECUTE FUNCTION ${this.schema}.log_history()`,
      );
    }
    const historyName = `${table.name}_history`;
    const history = all.get(historyName);
    if (history === undefined) {
      this.report(
        'history',
        table.name,
        `A mutable table has ${historyName} (or "no-history:" and a reason in its comment)`,
      );
      return;
    }
    const problems: string[] = [];
    const primary = history.constraints.find((constraint) => constraint.kind === 'p');
    if (
      primary?.name !== conventionalName(`pk_${historyName}`) ||
      primary.columns.join(',') !== 'history_id'
    ) {
      problems.push(`primary key pk_${historyName} (history_id)`);
    }
    const leading = history.columns
      .slice(0, 3)
      .map((column) => `${column.name} ${column.base_type}${column.not_null ? '' : ' null'}`);
    if (leading.join(', ') !== 'history_id uuid, history_operation text, history_changed_at timestamptz') {
      problems.push(
        'first columns history_id uuid, history_operation text, history_changed_at timestamptz, all NOT NULL',
      );
    }
    const operationCheck = conventionalName(`ck_${historyName}_operation`);
    if (
      !history.constraints.some((constraint) => constraint.kind === 'c' && constraint.name === operationCheck)
    ) {
      problems.push(`${operationCheck} CHECK (history_operation IN ('UPDATE', 'DELETE'))`);
    }
    const copies = new Map(history.columns.map((column) => [column.name, column]));
    for (const column of table.columns) {
      const copy = copies.get(column.name);
      if (copy === undefined) {
        problems.push(`column ${column.name}`);
      } else if (copy.type !== column.type) {
        problems.push(`column ${column.name} of type ${column.type}, not ${copy.type}`);
      }
    }
    const sourceNames = new Set(table.columns.map((column) => column.name));
    for (const column of history.columns.slice(3)) {
      if (!sourceNames.has(column.name) && column.not_null) {
        problems.push(`column ${column.name}, gone from ${table.name}, nullable`);
      }
    }
    if (problems.length > 0) {
      this.report('history', historyName, `${historyName} needs ${problems.join('; ')}`);
    }
  }

  private isOwnFunction(trigger: TriggerRow, name: string): boolean {
    return trigger.function === name && trigger.function_schema === this.schema;
  }

  private checkConstraint(table: Table, constraint: ConstraintRow): void {
    const t = table.name;
    switch (constraint.kind) {
      case 'p':
        if (constraint.name !== conventionalName(`pk_${t}`)) {
          this.report('primary_key', constraint.name, `The primary key of ${t} is named pk_${t}`);
        }
        return;
      case 'f':
        this.checkForeignKey(table, constraint);
        return;
      case 'u':
        if (!nameMatches(constraint.name, `uq_${t}_${constraint.columns.join('_')}`, 'none')) {
          this.report(
            'unique_name',
            constraint.name,
            `Unique constraints are named uq_${t}_${constraint.columns.join('_')}`,
          );
        }
        return;
      case 'c':
        if (!nameMatches(constraint.name, `ck_${t}`, 'required')) {
          this.report('check_name', constraint.name, `Check constraints are named ck_${t}_<what>`);
        }
        return;
      case 'x':
        if (!nameMatches(constraint.name, `ex_${t}`, 'required')) {
          this.report('exclusion_name', constraint.name, `Exclusion constraints are named ex_${t}_<what>`);
        }
        return;
    }
  }

  private checkForeignKey(table: Table, constraint: ConstraintRow): void {
    const t = table.name;
    const columns = constraint.columns;
    if (constraint.foreign_schema !== this.schema) {
      this.report(
        'foreign_key_schema',
        constraint.name,
        `Foreign keys stay inside ${this.schema}; refer to other services' rows by id only`,
      );
    }
    // `id` itself references the base row in an extension table.
    const bare = columns.filter((column) => !column.endsWith('_id') && column !== 'id');
    if (bare.length > 0) {
      this.report(
        'foreign_key_column',
        `${t}.${bare.join(',')}`,
        'Referencing columns are named <referenced_singular>_id or <what_it_is>_id',
      );
    }
    const expected = `fk_${t}_${columns.map((column) => column.replace(/_id$/, '')).join('_')}`;
    if (!nameMatches(constraint.name, expected, 'none')) {
      this.report(
        'foreign_key_name',
        constraint.name,
        `This foreign key is named ${conventionalName(expected)}`,
      );
    }
    const wanted = [...columns].sort().join(',');
    const indexed = table.indexes.some((index) => {
      const leading = index.columns
        .slice(0, columns.length)
        .filter((column): column is string => column !== null);
      return leading.length === columns.length && leading.sort().join(',') === wanted;
    });
    if (!indexed) {
      this.report(
        'foreign_key_index',
        constraint.name,
        `Foreign key ${constraint.name} needs an index led by (${columns.join(', ')})`,
      );
    }
  }

  private checkIndex(table: Table, index: IndexRow): void {
    if (index.backs_constraint) {
      return;
    }
    const prefix = index.is_unique ? 'uq' : 'idx';
    const expression = index.columns.some((column) => column === null);
    const base = expression
      ? `${prefix}_${table.name}`
      : `${prefix}_${table.name}_${index.columns.join('_')}`;
    if (!nameMatches(index.name, base, expression ? 'required' : 'optional')) {
      const shape = expression ? `${base}_<what>` : `${base}[_<purpose>]`;
      this.report(
        'index_name',
        index.name,
        `This ${index.is_unique ? 'unique index' : 'index'} is named ${shape}`,
      );
    }
  }

  checkEnum(type: EnumRow): void {
    if (!isSnakeCase(type.name) || !type.name.endsWith('_enum')) {
      this.report('enum_name', type.name, 'Enum types are named <name>_enum in snake_case');
    }
    if (!type.comment?.trim()) {
      this.report('enum_comment', type.name, 'Every enum type needs a COMMENT ON TYPE');
    }
    const bad = type.labels.filter((label) => !isSnakeCase(label));
    if (bad.length > 0) {
      this.report('enum_value', type.name, `Enum values are lowercase snake_case: ${bad.join(', ')}`);
    }
  }
}

function isSoleForeignKey(table: Table, column: string): boolean {
  return table.constraints.some(
    (constraint) =>
      constraint.kind === 'f' && constraint.columns.length === 1 && constraint.columns[0] === column,
  );
}

/**
 * Whether `actual` is the conventional name `base` (`none`), `base` or `base_<purpose>`
 * (`optional`), or `base_<what>` (`required`), allowing for the 63-byte shortening.
 */
export function nameMatches(actual: string, base: string, suffix: 'none' | 'optional' | 'required'): boolean {
  if (suffix !== 'required' && actual === conventionalName(base)) {
    return true;
  }
  if (suffix === 'none') {
    return false;
  }
  const start = `${base}_`;
  if (
    actual.startsWith(start) &&
    isSnakeCase(actual.slice(start.length)) &&
    Buffer.byteLength(actual) <= maxIdentifierBytes
  ) {
    return true;
  }
  // A shortened name keeps 54 bytes of the full one; the rest of the full name is unknown here.
  const shortened = /^(.{54})_[0-9a-f]{8}$/.exec(actual);
  const head = shortened?.[1];
  return head !== undefined && (head.startsWith(start) || start.startsWith(head));
}

const tablesSql = `
  SELECT c.relname AS name, pg_catalog.obj_description(c.oid, 'pg_class') AS comment
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  ORDER BY c.relname`;

const columnsSql = `
  SELECT c.relname AS table, a.attname AS name, a.attnotnull AS not_null,
    pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
    CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END AS base_type,
    t.typcategory = 'A' AS is_array,
    pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS default_expression,
    EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend dep
      JOIN pg_catalog.pg_proc p ON p.oid = dep.refobjid
      JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
      WHERE dep.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND dep.objid = d.oid
        AND dep.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
        AND p.proname = 'uuid_generate_v7' AND pn.nspname = $1
    ) AS default_is_uuid_v7,
    pg_catalog.col_description(c.oid, a.attnum) AS comment
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY c.relname, a.attnum`;

const constraintsSql = `
  SELECT c.relname AS table, con.conname AS name, con.contype AS kind,
    ARRAY(
      SELECT a.attname::text FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
      ORDER BY k.ord
    ) AS columns,
    fn.nspname AS foreign_schema
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
  LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
  WHERE n.nspname = $1 AND con.contype IN ('p', 'f', 'u', 'c', 'x')
  ORDER BY c.relname, con.conname`;

const indexesSql = `
  SELECT c.relname AS table, ic.relname AS name, i.indisunique AS is_unique,
    EXISTS (
      SELECT 1 FROM pg_catalog.pg_constraint con
      WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
    ) AS backs_constraint,
    ARRAY(
      SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname::text END
      FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE k.ord <= i.indnkeyatts
      ORDER BY k.ord
    ) AS columns
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
  ORDER BY c.relname, ic.relname`;

const triggersSql = `
  SELECT c.relname AS table, t.tgname AS name, t.tgtype AS type, p.proname AS function, pn.nspname AS function_schema
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
  WHERE n.nspname = $1 AND NOT t.tgisinternal
  ORDER BY c.relname, t.tgname`;

const enumsSql = `
  SELECT t.typname AS name, pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
    ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = $1 AND t.typtype = 'e'
  ORDER BY t.typname`;
