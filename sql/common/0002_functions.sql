-- Shared functions of every service schema. Bodies qualify what they call: they run with the
-- caller's search_path.

-- RFC 9562 version 7: 48 bits of Unix milliseconds, then 12 bits of sub-millisecond time (the
-- "increased clock precision" method), then 62 random bits. The last value handed out in this
-- session is remembered, and a clock that has not moved (or moved back) yields the next value,
-- so ids are strictly increasing within a session: rows inserted by one transaction sort in
-- insertion order, which the outbox relies on.
CREATE FUNCTION {{schema}}.uuid_generate_v7() RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
  micros bigint := pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp()) * 1000000)::bigint;
  stamp bigint := (micros / 1000) * 4096 + ((micros % 1000) * 4096) / 1000;
  previous bigint := NULLIF(pg_catalog.current_setting('parley.uuid_v7_last', true), '')::bigint;
BEGIN
  IF previous IS NOT NULL AND stamp <= previous THEN
    stamp := previous + 1;
  END IF;
  PERFORM pg_catalog.set_config('parley.uuid_v7_last', stamp::text, false);
  RETURN pg_catalog.encode(
    pg_catalog.substr(pg_catalog.int8send(stamp >> 12), 3, 6)
      || pg_catalog.int2send((28672 | (stamp & 4095))::smallint)
      || pg_catalog.substr(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 9, 8),
    'hex')::uuid;
END
$$;
COMMENT ON FUNCTION {{schema}}.uuid_generate_v7() IS
'Time-ordered UUID (version 7), strictly increasing within a session; the default of every id column.';

CREATE FUNCTION {{schema}}.set_updated_at() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  NEW.updated_at := pg_catalog.now();
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION {{schema}}.set_updated_at() IS
'BEFORE UPDATE row trigger of every table with updated_at (trg_<table>_set_updated_at).';

-- Copies OLD into <table>_history by column name (through jsonb), so the history table only has
-- to hold the same columns, not in the same order; a column dropped from the source stays NULL.
CREATE FUNCTION {{schema}}.log_history() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  history_table text := TG_TABLE_NAME || '_history';
BEGIN
  EXECUTE pg_catalog.format(
    'INSERT INTO %I.%I SELECT (pg_catalog.jsonb_populate_record(NULL::%I.%I, $1)).*',
    TG_TABLE_SCHEMA, history_table, TG_TABLE_SCHEMA, history_table)
  USING pg_catalog.to_jsonb(OLD) || pg_catalog.jsonb_build_object(
    'history_id', {{schema}}.uuid_generate_v7(),
    'history_operation', TG_OP,
    'history_changed_at', pg_catalog.now());
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION {{schema}}.log_history() IS
'AFTER UPDATE OR DELETE row trigger (trg_<table>_log_history): copies the old row into <table>_history.';
