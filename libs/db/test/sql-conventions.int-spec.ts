import type pg from 'pg';
import { ParleyError } from '@parley/contracts';
import { createTestDatabase, type TestDatabase } from '@parley/testing';
import {
  checkSqlConventions,
  conventionalName,
  sqlRules,
  type SqlRule,
  type Violation,
} from '../src/index.js';
import { commonSqlDirectory, readMigrationDirectory, renderMigration } from '../src/migration-files.js';
import { connect } from './db-test-support.js';

const longColumn = 'notification_preference_reference_id';
const longForeignKey = conventionalName(`fk_team_long_references_${longColumn.replace(/_id$/, '')}`);

/** A schema that follows every rule, touching as many of them as possible. `{{schema}}` is the schema. */
const compliant = `
CREATE TYPE {{schema}}.member_status_enum AS ENUM ('active', 'pending_verification', 'short_term_30_days');
COMMENT ON TYPE {{schema}}.member_status_enum IS 'Where a member stands.';

CREATE TABLE {{schema}}.teams (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  owner_id uuid NOT NULL,
  name text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  tags text[] NOT NULL DEFAULT '{}',
  is_archived boolean NOT NULL DEFAULT false,
  founded_on date,
  archived_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,
  deleted_at timestamptz,
  CONSTRAINT pk_teams PRIMARY KEY (id),
  CONSTRAINT ck_teams_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
  CONSTRAINT ck_teams_archived_consistently CHECK (is_archived = (archived_at IS NOT NULL))
);
CREATE UNIQUE INDEX uq_teams_tenant_id_name_live ON {{schema}}.teams (tenant_id, name) WHERE deleted_at IS NULL;
CREATE INDEX idx_teams_owner_id ON {{schema}}.teams (owner_id);
CREATE INDEX idx_teams_lower_name ON {{schema}}.teams (lower(name));
CREATE TRIGGER trg_teams_set_updated_at BEFORE UPDATE ON {{schema}}.teams
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.set_updated_at();
CREATE TABLE {{schema}}.teams_history (
  history_id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE {{schema}}.teams,
  CONSTRAINT pk_teams_history PRIMARY KEY (history_id),
  CONSTRAINT ck_teams_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_teams_history_id ON {{schema}}.teams_history (id);
CREATE TRIGGER trg_teams_log_history AFTER UPDATE OR DELETE ON {{schema}}.teams
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.log_history();
COMMENT ON TABLE {{schema}}.teams IS 'A team of one tenant.';
COMMENT ON COLUMN {{schema}}.teams.owner_id IS 'identity.users id of the owner.';
COMMENT ON COLUMN {{schema}}.teams.name IS 'Display name, unique among live teams of the tenant.';
COMMENT ON COLUMN {{schema}}.teams.settings IS 'Free-form team settings.';
COMMENT ON COLUMN {{schema}}.teams.tags IS 'Labels.';
COMMENT ON COLUMN {{schema}}.teams.is_archived IS 'Archived teams are read-only.';
COMMENT ON COLUMN {{schema}}.teams.founded_on IS 'Calendar day the team was founded.';
COMMENT ON COLUMN {{schema}}.teams.archived_at IS 'When the team was archived.';
COMMENT ON TABLE {{schema}}.teams_history IS 'append-only: earlier versions of teams rows.';

CREATE TABLE {{schema}}.members (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  team_id uuid NOT NULL,
  invited_by_id uuid,
  status {{schema}}.member_status_enum NOT NULL DEFAULT 'active',
  note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_members PRIMARY KEY (id),
  CONSTRAINT fk_members_team FOREIGN KEY (team_id) REFERENCES {{schema}}.teams (id),
  CONSTRAINT fk_members_invited_by FOREIGN KEY (invited_by_id) REFERENCES {{schema}}.members (id),
  CONSTRAINT uq_members_team_id_invited_by_id UNIQUE (team_id, invited_by_id)
);
CREATE INDEX idx_members_invited_by_id ON {{schema}}.members (invited_by_id);
CREATE TRIGGER trg_members_set_updated_at BEFORE UPDATE ON {{schema}}.members
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.set_updated_at();
COMMENT ON TABLE {{schema}}.members IS 'no-history: a sample of a mutable table without history.
A member of a team.';
COMMENT ON COLUMN {{schema}}.members.status IS 'Where the member stands.';
COMMENT ON COLUMN {{schema}}.members.note IS 'unbounded: notes are long texts by nature.';

CREATE TABLE {{schema}}.tags (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_tags PRIMARY KEY (id),
  CONSTRAINT ck_tags_label_length CHECK (char_length(label) BETWEEN 1 AND 30)
);
COMMENT ON TABLE {{schema}}.tags IS 'append-only: tags are created, never changed.
A tag.';
COMMENT ON COLUMN {{schema}}.tags.label IS 'What the tag says.';

CREATE TABLE {{schema}}.team_tags (
  team_id uuid NOT NULL,
  tag_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_team_tags PRIMARY KEY (team_id, tag_id),
  CONSTRAINT fk_team_tags_team FOREIGN KEY (team_id) REFERENCES {{schema}}.teams (id),
  CONSTRAINT fk_team_tags_tag FOREIGN KEY (tag_id) REFERENCES {{schema}}.tags (id)
);
CREATE INDEX idx_team_tags_tag_id ON {{schema}}.team_tags (tag_id);
COMMENT ON TABLE {{schema}}.team_tags IS 'append-only: a join row is added or removed, never changed.
Which tags a team carries.';

CREATE TABLE {{schema}}.team_profiles (
  id uuid NOT NULL,
  bio text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_team_profiles PRIMARY KEY (id),
  CONSTRAINT fk_team_profiles_id FOREIGN KEY (id) REFERENCES {{schema}}.teams (id),
  CONSTRAINT ck_team_profiles_bio_length CHECK (char_length(bio) <= 2000)
);
COMMENT ON TABLE {{schema}}.team_profiles IS 'append-only: replaced, never updated.
The public profile extending a team.';
COMMENT ON COLUMN {{schema}}.team_profiles.bio IS 'Text shown on the profile.';

CREATE TABLE {{schema}}.categories (
  code text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_categories PRIMARY KEY (code),
  CONSTRAINT ck_categories_code_length CHECK (char_length(code) BETWEEN 1 AND 40),
  CONSTRAINT uq_categories_code_created_at UNIQUE (code, created_at)
);
COMMENT ON TABLE {{schema}}.categories IS 'append-only: a fixed list.
  natural-key: the code is the category.
A category of teams.';
COMMENT ON COLUMN {{schema}}.categories.code IS 'Category code.';

CREATE TABLE {{schema}}.bookings (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  period tstzrange NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_bookings PRIMARY KEY (id),
  CONSTRAINT ex_bookings_period EXCLUDE USING gist (period WITH &&)
);
COMMENT ON TABLE {{schema}}.bookings IS 'append-only: bookings are cancelled by deletion.
A booked period.';
COMMENT ON COLUMN {{schema}}.bookings.period IS 'Booked time range.';

CREATE TABLE {{schema}}.team_long_references (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  ${longColumn} uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_team_long_references PRIMARY KEY (id),
  CONSTRAINT ${longForeignKey} FOREIGN KEY (${longColumn}) REFERENCES {{schema}}.teams (id)
);
CREATE INDEX ${conventionalName(`idx_team_long_references_${longColumn}`)} ON {{schema}}.team_long_references (${longColumn});
COMMENT ON TABLE {{schema}}.team_long_references IS 'append-only: a sample of names over 63 bytes.
A reference with a long name.';
`;

/** One case per rule: SQL that breaks it on top of the compliant schema. */
const cases: [SqlRule, string][] = [
  ['table_name', `CREATE TABLE {{schema}}."Widgets" (created_at timestamptz NOT NULL DEFAULT now());`],
  [
    'table_name',
    `CREATE TABLE {{schema}}.${'w'.repeat(56)}s (created_at timestamptz NOT NULL DEFAULT now());`,
  ],
  [
    'table_plural',
    `CREATE TABLE {{schema}}.widget (id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(), created_at timestamptz NOT NULL DEFAULT now(), CONSTRAINT pk_widget PRIMARY KEY (id)); COMMENT ON TABLE {{schema}}.widget IS 'append-only: x.';`,
  ],
  ['table_comment', `COMMENT ON TABLE {{schema}}.tags IS NULL;`],
  ['table_comment', `COMMENT ON TABLE {{schema}}.tags IS 'append-only:\nA tag.';`],
  [
    'column_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN "colourCode" uuid; COMMENT ON COLUMN {{schema}}.tags."colourCode" IS 'x';`,
  ],
  ['column_comment', `COMMENT ON COLUMN {{schema}}.teams.name IS NULL;`],
  [
    'column_scratch',
    `ALTER TABLE {{schema}}.tags ADD COLUMN feature_debug_json jsonb; COMMENT ON COLUMN {{schema}}.tags.feature_debug_json IS 'x';`,
  ],
  [
    'type_timestamp',
    `ALTER TABLE {{schema}}.tags ADD COLUMN retired_at timestamp; COMMENT ON COLUMN {{schema}}.tags.retired_at IS 'x';`,
  ],
  [
    'type_text',
    `ALTER TABLE {{schema}}.tags ADD COLUMN code varchar(10); COMMENT ON COLUMN {{schema}}.tags.code IS 'x';`,
  ],
  [
    'type_json',
    `ALTER TABLE {{schema}}.tags ADD COLUMN extra json; COMMENT ON COLUMN {{schema}}.tags.extra IS 'x';`,
  ],
  [
    'time_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN joined_date date; COMMENT ON COLUMN {{schema}}.tags.joined_date IS 'x';`,
  ],
  [
    'time_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN retired timestamptz; COMMENT ON COLUMN {{schema}}.tags.retired IS 'x';`,
  ],
  [
    'time_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN retired_at date; COMMENT ON COLUMN {{schema}}.tags.retired_at IS 'x';`,
  ],
  [
    'time_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN birthday date; COMMENT ON COLUMN {{schema}}.tags.birthday IS 'x';`,
  ],
  [
    'boolean_name',
    `ALTER TABLE {{schema}}.tags ADD COLUMN archived boolean; COMMENT ON COLUMN {{schema}}.tags.archived IS 'x';`,
  ],
  ['text_length', `ALTER TABLE {{schema}}.tags DROP CONSTRAINT ck_tags_label_length;`],
  ['primary_key', `ALTER TABLE {{schema}}.tags RENAME CONSTRAINT pk_tags TO tags_pkey;`],
  ['primary_key', `ALTER TABLE {{schema}}.team_tags DROP CONSTRAINT pk_team_tags;`],
  ['id_column', `ALTER TABLE {{schema}}.tags ALTER COLUMN id SET DEFAULT gen_random_uuid();`],
  [
    'id_column',
    `ALTER TABLE {{schema}}.categories ADD COLUMN id uuid; COMMENT ON COLUMN {{schema}}.categories.id IS 'x';`,
  ],
  [
    'natural_key',
    `COMMENT ON TABLE {{schema}}.categories IS 'append-only: a fixed list.\nA category of teams.';`,
  ],
  ['created_at', `ALTER TABLE {{schema}}.tags ALTER COLUMN created_at DROP DEFAULT;`],
  ['updated_at', `ALTER TABLE {{schema}}.members DROP COLUMN updated_at;`],
  ['updated_at', `ALTER TABLE {{schema}}.tags ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();`],
  ['updated_at', `ALTER TABLE {{schema}}.members ALTER COLUMN updated_at DROP NOT NULL;`],
  ['updated_at_trigger', `DROP TRIGGER trg_members_set_updated_at ON {{schema}}.members;`],
  ['history', `DROP TABLE {{schema}}.teams_history;`],
  [
    'history',
    `ALTER TABLE {{schema}}.teams ADD COLUMN motto uuid; COMMENT ON COLUMN {{schema}}.teams.motto IS 'x';`,
  ],
  [
    'history',
    `ALTER TABLE {{schema}}.teams_history DROP CONSTRAINT ck_teams_history_operation, ALTER COLUMN name TYPE varchar(100), ADD COLUMN gone integer NOT NULL;`,
  ],
  ['history_trigger', `DROP TRIGGER trg_teams_log_history ON {{schema}}.teams;`],
  [
    'soft_delete',
    `ALTER TABLE {{schema}}.teams ADD COLUMN is_soft_deleted boolean NOT NULL DEFAULT false; ALTER TABLE {{schema}}.teams_history ADD COLUMN is_soft_deleted boolean; COMMENT ON COLUMN {{schema}}.teams.is_soft_deleted IS 'x';`,
  ],
  ['soft_delete', `ALTER TABLE {{schema}}.teams ALTER COLUMN deleted_at SET NOT NULL;`],
  [
    'foreign_key_name',
    `ALTER TABLE {{schema}}.members RENAME CONSTRAINT fk_members_team TO members_team_id_fkey;`,
  ],
  [
    'foreign_key_name',
    `ALTER TABLE {{schema}}.team_long_references RENAME CONSTRAINT ${longForeignKey} TO fk_team_long_references_notification_preference_referenc;`,
  ],
  ['foreign_key_column', `ALTER TABLE {{schema}}.members RENAME COLUMN invited_by_id TO invited_by;`],
  ['foreign_key_index', `DROP INDEX {{schema}}.idx_team_tags_tag_id;`],
  [
    'foreign_key_schema',
    `CREATE SCHEMA {{schema}}_other; CREATE TABLE {{schema}}_other.things (id uuid PRIMARY KEY); ALTER TABLE {{schema}}.teams ADD CONSTRAINT fk_teams_owner FOREIGN KEY (owner_id) REFERENCES {{schema}}_other.things (id);`,
  ],
  [
    'unique_name',
    `ALTER TABLE {{schema}}.members RENAME CONSTRAINT uq_members_team_id_invited_by_id TO members_unique;`,
  ],
  ['check_name', `ALTER TABLE {{schema}}.tags ADD CONSTRAINT label_not_blank CHECK (label <> '');`],
  [
    'exclusion_name',
    `ALTER TABLE {{schema}}.bookings RENAME CONSTRAINT ex_bookings_period TO bookings_period_excl;`,
  ],
  ['index_name', `CREATE INDEX teams_created_at_index ON {{schema}}.teams (created_at);`],
  [
    'index_name',
    `ALTER INDEX {{schema}}.uq_teams_tenant_id_name_live RENAME TO idx_teams_tenant_id_name_live;`,
  ],
  ['index_name', `CREATE INDEX idx_teams ON {{schema}}.teams (upper(name));`],
  [
    'trigger_name',
    `CREATE TRIGGER set_timestamp BEFORE UPDATE ON {{schema}}.teams FOR EACH ROW EXECUTE FUNCTION {{schema}}.set_updated_at();`,
  ],
  ['enum_name', `CREATE TYPE {{schema}}.colour AS ENUM ('red'); COMMENT ON TYPE {{schema}}.colour IS 'x';`],
  [
    'enum_value',
    `ALTER TYPE {{schema}}.member_status_enum ADD VALUE 'ON_HOLD'; ALTER TYPE {{schema}}.member_status_enum ADD VALUE 'practice-examination';`,
  ],
  ['enum_comment', `COMMENT ON TYPE {{schema}}.member_status_enum IS NULL;`],
];

describe('checkSqlConventions', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let prelude: Awaited<ReturnType<typeof readMigrationDirectory>>;
  let schemas = 0;

  /** A new schema with the prelude, the compliant sample and `extra`; returns its violations. */
  async function violationsWith(extra: string): Promise<Violation[]> {
    schemas += 1;
    const schema = `sample_${schemas}`;
    await admin.query('BEGIN');
    await admin.query(`CREATE SCHEMA ${schema}; SET LOCAL search_path TO ''`);
    for (const file of prelude) {
      await admin.query(renderMigration(file, schema));
    }
    await admin.query(compliant.replaceAll('{{schema}}', schema));
    await admin.query('COMMIT');
    if (extra !== '') {
      await admin.query(extra.replaceAll('{{schema}}', schema));
    }
    return checkSqlConventions(admin, schema);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = await connect(database.url);
    prelude = await readMigrationDirectory(commonSqlDirectory, { prefix: 'common', allowSchemaToken: true });
  });

  afterAll(async () => {
    await admin.end();
    await database.drop();
  });

  it('finds nothing wrong with a compliant schema', async () => {
    expect(await violationsWith('')).toEqual([]);
  });

  it('has a case below for every rule', () => {
    expect(new Set(cases.map(([rule]) => rule))).toEqual(new Set(sqlRules));
  });

  it.each(cases)('reports %s', async (rule, sql) => {
    const violations = await violationsWith(sql);
    expect(violations.map((violation) => violation.rule)).toContain(rule);
    for (const violation of violations) {
      expect(violation.object).toMatch(/^sample_\d+\./);
      expect(violation.message.length).toBeGreaterThan(0);
    }
  });

  it('names the object and the expected form', async () => {
    const violations = await violationsWith(
      `ALTER TABLE {{schema}}.members RENAME CONSTRAINT fk_members_team TO members_team_id_fkey;`,
    );
    expect(violations).toEqual([
      {
        rule: 'foreign_key_name',
        object: `sample_${schemas}.members_team_id_fkey`,
        message: 'This foreign key is named fk_members_team',
      },
    ]);
  });

  it('refuses a schema that does not exist or a name it would have to quote', async () => {
    await expect(checkSqlConventions(admin, 'no_such_schema')).rejects.toMatchObject({ code: 'not_found' });
    await expect(checkSqlConventions(admin, 'Bad Name')).rejects.toBeInstanceOf(ParleyError);
  });
});
