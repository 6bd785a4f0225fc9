-- Revisions: every change to a published message (an edit, a deletion, a reaction added or taken
-- back) takes its conversation's next revision number, so a reader who comes back can ask for the
-- messages that changed after the last revision they saw (docs/conversation.md, "Revisions").
-- Added columns come last: PostgreSQL cannot place a new column among the old ones.

ALTER TABLE conversation.conversations
  ADD COLUMN last_revision bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT ck_conversations_last_revision_non_negative CHECK (last_revision >= 0);
COMMENT ON COLUMN conversation.conversations.last_revision IS
'Revision number of the latest change to a published message (0 before the first); incremented in the transaction that makes the change, so numbers have no gaps.';

ALTER TABLE conversation.messages
  ADD COLUMN revision bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT ck_messages_revision_non_negative CHECK (revision >= 0);
COMMENT ON COLUMN conversation.messages.revision IS
'The conversation''s revision number of the latest change to this message since it was published; 0 when it has not changed.';
-- "What changed after revision n": the changed messages of a conversation in revision order.
CREATE INDEX idx_messages_conversation_id_revision_changed ON conversation.messages (conversation_id, revision)
  WHERE revision > 0;

-- The history mirrors the table; rows written before this file had no revision.
ALTER TABLE conversation.messages_history ADD COLUMN revision bigint NOT NULL DEFAULT 0;
ALTER TABLE conversation.messages_history ALTER COLUMN revision DROP DEFAULT;
