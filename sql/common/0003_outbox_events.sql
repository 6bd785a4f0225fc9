-- The transactional outbox: a service writes its events here in the same transaction as the
-- state change; the relay of @parley/db publishes them to JetStream in id order.
CREATE TABLE {{schema}}.outbox_events (
  id uuid NOT NULL DEFAULT {{schema}}.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  subject text NOT NULL,
  event_type text NOT NULL,
  payload jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  published_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_outbox_events PRIMARY KEY (id),
  CONSTRAINT ck_outbox_events_subject_length CHECK (pg_catalog.char_length(subject) BETWEEN 1 AND 255),
  CONSTRAINT ck_outbox_events_event_type_length CHECK (pg_catalog.char_length(event_type) BETWEEN 1 AND 255),
  CONSTRAINT ck_outbox_events_headers_object CHECK (pg_catalog.jsonb_typeof(headers) = 'object')
);

-- What the relay reads: the unpublished rows, oldest first. Small, because published rows leave it.
CREATE INDEX idx_outbox_events_id_unpublished ON {{schema}}.outbox_events (id)
  WHERE published_at IS NULL;
-- What the retention cleanup deletes.
CREATE INDEX idx_outbox_events_published_at ON {{schema}}.outbox_events (published_at)
  WHERE published_at IS NOT NULL;

CREATE TRIGGER trg_outbox_events_set_updated_at BEFORE UPDATE ON {{schema}}.outbox_events
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.set_updated_at();

-- Wakes the relay (LISTEN <schema>_outbox_events) when a transaction that wrote events commits;
-- the relay also polls, so a lost notification only delays.
CREATE FUNCTION {{schema}}.notify_outbox_events() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  PERFORM pg_catalog.pg_notify(TG_TABLE_SCHEMA || '_outbox_events', '');
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION {{schema}}.notify_outbox_events() IS
'AFTER INSERT statement trigger of outbox_events: NOTIFY <schema>_outbox_events.';

CREATE TRIGGER trg_outbox_events_notify AFTER INSERT ON {{schema}}.outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.notify_outbox_events();

COMMENT ON TABLE {{schema}}.outbox_events IS
'no-history: a transport buffer; the published events are the record, and rows are deleted after a retention period.
Events written in the transaction of the state change they announce, relayed to JetStream in id order.';
COMMENT ON COLUMN {{schema}}.outbox_events.id IS
'Event id, also the Nats-Msg-Id of the publish, so a repeated publish is dropped by JetStream.';
COMMENT ON COLUMN {{schema}}.outbox_events.subject IS
'Canonical event subject <service>.v1.events.<tenant-id>.<entity>.<event>, without namespace.';
COMMENT ON COLUMN {{schema}}.outbox_events.event_type IS
'<entity>.<event>, the subject without service and tenant.';
COMMENT ON COLUMN {{schema}}.outbox_events.payload IS
'Event payload, already validated against its contract.';
COMMENT ON COLUMN {{schema}}.outbox_events.headers IS
'NATS headers to publish with the event (correlation, tenant, actor, event type), a JSON object of strings.';
COMMENT ON COLUMN {{schema}}.outbox_events.published_at IS
'When JetStream stored the event; NULL while it waits for the relay.';
