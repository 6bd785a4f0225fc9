-- notification: the first migration of the notification schema. Before it the runner has created the
-- schema and the service's login (notification_service by default) and applied the common prelude
-- (sql/common/: uuid_generate_v7(), set_updated_at(), log_history(), outbox_events,
-- processed_messages).
-- Tables follow docs/00010-conventions-sql.md (section 14 is the checklist for a new table). A file
-- is never edited once it has been applied anywhere that matters: add the next one beside it.
COMMENT ON SCHEMA notification IS
'Data of the notification service; only the migration runner and the service''s own login use it.';
