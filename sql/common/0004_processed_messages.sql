-- Handler-level idempotency: a handler claims (consumer, message id) in its own transaction, so
-- the claim commits or rolls back together with the handler's writes.
CREATE TABLE {{schema}}.processed_messages (
  consumer text NOT NULL,
  message_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_processed_messages PRIMARY KEY (consumer, message_id),
  CONSTRAINT ck_processed_messages_consumer_length CHECK (pg_catalog.char_length(consumer) BETWEEN 1 AND 255),
  CONSTRAINT ck_processed_messages_message_id_length CHECK (pg_catalog.char_length(message_id) BETWEEN 1 AND 255)
);

-- What pruning by age deletes.
CREATE INDEX idx_processed_messages_created_at ON {{schema}}.processed_messages (created_at);

COMMENT ON TABLE {{schema}}.processed_messages IS
'append-only: a row is inserted once per handled message and only deleted when pruned by age.
natural-key: (consumer, message_id) is exactly what a handler looks up; a surrogate id would add nothing.
Messages each consumer has already handled, claimed inside the handler''s transaction.';
COMMENT ON COLUMN {{schema}}.processed_messages.consumer IS
'Name of the durable consumer (or handler) that handled the message.';
COMMENT ON COLUMN {{schema}}.processed_messages.message_id IS
'The message''s Nats-Msg-Id (for events, the outbox event id).';
