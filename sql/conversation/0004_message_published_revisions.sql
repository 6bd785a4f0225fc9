-- The revision number each message was published at: every change to a message takes a later one,
-- so "every change up to revision n concerns messages up to sequence s" can be answered exactly
-- (docs/conversation.md, "Revisions"). Messages published before this file count as published at 0.

ALTER TABLE conversation.messages
  ADD COLUMN published_revision bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT ck_messages_published_revision_non_negative CHECK (published_revision >= 0);
COMMENT ON COLUMN conversation.messages.published_revision IS
'The conversation''s revision number when the message was published (0 while it waits, or when published before revisions were kept); every change to it takes a higher one.';

ALTER TABLE conversation.messages_history ADD COLUMN published_revision bigint NOT NULL DEFAULT 0;
ALTER TABLE conversation.messages_history ALTER COLUMN published_revision DROP DEFAULT;
