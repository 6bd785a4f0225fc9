-- Parley stores every instant as timestamptz and runs every session in UTC, so that ::date,
-- date_trunc() and text output agree on every machine. The migration runner connects with
-- TimeZone=UTC; anything else reaching this file is a misconfigured runner, and we stop here.
DO $$
BEGIN
  IF pg_catalog.upper(pg_catalog.current_setting('TimeZone')) NOT IN ('UTC', 'ETC/UTC') THEN
    RAISE EXCEPTION 'Parley migrations need the session time zone UTC, got %',
      pg_catalog.current_setting('TimeZone')
      USING HINT = 'Connect with the option -c TimeZone=UTC (the @parley/db runner does).';
  END IF;
END
$$;
