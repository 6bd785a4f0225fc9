-- file: storage classes, files and what they are attached to. Behaviour and decisions: docs/file.md;
-- tables: docs/00010-conventions-sql.md.

CREATE TYPE file.storage_class_enum AS ENUM (
  'temporary_less_than_24_hours',
  'short_term_30_days',
  'medium_term_90_days',
  'long_term_1_year',
  'indefinite'
);
COMMENT ON TYPE file.storage_class_enum IS
'How long a file is kept and how large it may be; each value has one row in storage_classes.';

CREATE TYPE file.file_status_enum AS ENUM ('received', 'processing', 'accepted', 'rejected');
COMMENT ON TYPE file.file_status_enum IS
'received (stored, waiting in the processing queue) -> processing -> accepted | rejected.';

CREATE TYPE file.rejection_reason_enum AS ENUM ('type_not_allowed', 'type_mismatch', 'size_mismatch');
COMMENT ON TYPE file.rejection_reason_enum IS
'Why processing rejected a file: a type the service does not store, content that is not what the uploader claimed, or stored bytes that differ from those received.';

CREATE TYPE file.storage_driver_enum AS ENUM ('local_filesystem', 'object_store');
COMMENT ON TYPE file.storage_driver_enum IS
'Where the content of a file is kept: a directory of the local filesystem, or the NATS JetStream object store.';

-- Storage classes -------------------------------------------------------------------------------
CREATE TABLE file.storage_classes (
  name file.storage_class_enum NOT NULL,
  description text NOT NULL,
  max_size_bytes bigint NOT NULL,
  retention_hours integer,
  cache_max_age_seconds integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_storage_classes PRIMARY KEY (name),
  CONSTRAINT ck_storage_classes_description_length CHECK (char_length(description) BETWEEN 1 AND 300),
  CONSTRAINT ck_storage_classes_max_size_bytes_positive CHECK (max_size_bytes > 0),
  CONSTRAINT ck_storage_classes_retention_hours_positive CHECK (retention_hours IS NULL OR retention_hours > 0),
  CONSTRAINT ck_storage_classes_retention_only_indefinite_unbounded
    CHECK ((retention_hours IS NULL) = (name = 'indefinite')),
  CONSTRAINT ck_storage_classes_cache_max_age_seconds_range CHECK (cache_max_age_seconds BETWEEN 0 AND 31536000)
);
COMMENT ON TABLE file.storage_classes IS
'natural-key: one row per value of storage_class_enum, named by it; files name their class by that value.
A storage class: the size limit, retention and cache lifetime of the files stored in it.';
COMMENT ON COLUMN file.storage_classes.name IS 'The class, as uploads and files name it.';
COMMENT ON COLUMN file.storage_classes.description IS 'What the class is for, for administrators.';
COMMENT ON COLUMN file.storage_classes.max_size_bytes IS
'Largest file accepted, in bytes; an upload is stopped as soon as it goes past it.';
COMMENT ON COLUMN file.storage_classes.retention_hours IS
'Hours a file is kept after its upload before the retention job removes it; NULL (indefinite only): kept until deleted.';
COMMENT ON COLUMN file.storage_classes.cache_max_age_seconds IS
'Longest a browser may keep a downloaded copy, in seconds (never past the file''s expiry); 0: not stored at all.';

INSERT INTO file.storage_classes (name, description, max_size_bytes, retention_hours, cache_max_age_seconds) VALUES
  ('temporary_less_than_24_hours', 'Scratch files, gone within a day', 5242880, 24, 300),
  ('short_term_30_days', 'Chat attachments', 10485760, 720, 86400),
  ('medium_term_90_days', 'Larger files kept for a term', 104857600, 2160, 86400),
  ('long_term_1_year', 'Files kept for a year', 52428800, 8760, 604800),
  ('indefinite', 'Records kept until someone deletes them; never cached', 26214400, NULL, 0);

-- Files -----------------------------------------------------------------------------------------
CREATE TABLE file.files (
  id uuid NOT NULL DEFAULT file.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  owner_id uuid NOT NULL,
  storage_class file.storage_class_enum NOT NULL,
  storage_driver file.storage_driver_enum NOT NULL,
  original_name text NOT NULL,
  stored_name text NOT NULL,
  size_bytes bigint NOT NULL,
  claimed_mime_type text,
  mime_type text,
  extension text,
  sha256 text,
  status file.file_status_enum NOT NULL DEFAULT 'received',
  rejection_reason file.rejection_reason_enum,
  processed_at timestamptz,
  expires_at timestamptz,
  purged_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  CONSTRAINT pk_files PRIMARY KEY (id),
  CONSTRAINT uq_files_stored_name UNIQUE (stored_name),
  CONSTRAINT ck_files_original_name_length CHECK (char_length(original_name) BETWEEN 1 AND 255),
  CONSTRAINT ck_files_stored_name_length CHECK (char_length(stored_name) BETWEEN 1 AND 300),
  CONSTRAINT ck_files_claimed_mime_type_length CHECK (char_length(claimed_mime_type) BETWEEN 1 AND 255),
  CONSTRAINT ck_files_mime_type_length CHECK (char_length(mime_type) BETWEEN 1 AND 255),
  CONSTRAINT ck_files_extension_length CHECK (char_length(extension) BETWEEN 1 AND 16),
  CONSTRAINT ck_files_sha256_length CHECK (char_length(sha256) = 64),
  CONSTRAINT ck_files_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  CONSTRAINT ck_files_size_bytes_positive CHECK (size_bytes > 0),
  CONSTRAINT ck_files_rejection_reason CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
  CONSTRAINT ck_files_processed CHECK ((status IN ('accepted', 'rejected')) = (processed_at IS NOT NULL)),
  CONSTRAINT ck_files_accepted_complete
    CHECK (status <> 'accepted' OR (sha256 IS NOT NULL AND mime_type IS NOT NULL)),
  CONSTRAINT ck_files_purged_after_created CHECK (purged_at IS NULL OR purged_at >= created_at)
);
-- A user's own live files, and the retention job's three queues.
CREATE INDEX idx_files_tenant_id_owner_id_live ON file.files (tenant_id, owner_id) WHERE deleted_at IS NULL;
CREATE INDEX idx_files_expires_at_unpurged ON file.files (expires_at)
  WHERE purged_at IS NULL AND deleted_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX idx_files_deleted_at_unpurged ON file.files (deleted_at)
  WHERE purged_at IS NULL AND deleted_at IS NOT NULL;
CREATE INDEX idx_files_id_rejected_unpurged ON file.files (id) WHERE purged_at IS NULL AND status = 'rejected';
CREATE TRIGGER trg_files_set_updated_at BEFORE UPDATE ON file.files
  FOR EACH ROW EXECUTE FUNCTION file.set_updated_at();
COMMENT ON TABLE file.files IS
'A stored file of one tenant: who owns it, where its content is, what processing found, and whether it still exists.';
COMMENT ON COLUMN file.files.owner_id IS 'identity.users id of the uploader, the one owner of the file.';
COMMENT ON COLUMN file.files.storage_class IS 'The class the file was stored in (storage_classes.name).';
COMMENT ON COLUMN file.files.storage_driver IS 'The driver that holds the content; a file stays with the driver it was written by.';
COMMENT ON COLUMN file.files.original_name IS
'The uploader''s file name without any path, control or format characters; shown and offered on download, never used as a path.';
COMMENT ON COLUMN file.files.stored_name IS
'Key of the content in its driver: <tenant>/<yyyy>/<mm>/<dd>/<file id>, made by the service alone.';
COMMENT ON COLUMN file.files.size_bytes IS 'Size of the content in bytes, counted while it was received.';
COMMENT ON COLUMN file.files.claimed_mime_type IS
'The Content-Type the uploader sent (lowercase, without parameters); NULL when none or a generic one was sent.';
COMMENT ON COLUMN file.files.mime_type IS 'The type detected from the content by processing; NULL until then.';
COMMENT ON COLUMN file.files.extension IS 'Usual extension of the detected type, without the dot; NULL until processed.';
COMMENT ON COLUMN file.files.sha256 IS 'SHA-256 of the stored content, lowercase hex, computed by processing.';
COMMENT ON COLUMN file.files.status IS 'Where the file is in processing; only accepted files can be downloaded.';
COMMENT ON COLUMN file.files.rejection_reason IS 'Why processing rejected the file; set exactly when the status is rejected.';
COMMENT ON COLUMN file.files.processed_at IS 'When processing accepted or rejected the file.';
COMMENT ON COLUMN file.files.expires_at IS
'When the storage class lets the file go (upload time + retention); NULL for indefinite files.';
COMMENT ON COLUMN file.files.purged_at IS
'When the content was removed from storage (rejected, expired, or deleted and past the grace period); the row stays.';

CREATE TABLE file.files_history (
  history_id uuid NOT NULL DEFAULT file.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE file.files,
  CONSTRAINT pk_files_history PRIMARY KEY (history_id),
  CONSTRAINT ck_files_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_files_history_id ON file.files_history (id);
COMMENT ON TABLE file.files_history IS
'append-only: earlier versions of files rows, written by trg_files_log_history.';
CREATE TRIGGER trg_files_log_history AFTER UPDATE OR DELETE ON file.files
  FOR EACH ROW EXECUTE FUNCTION file.log_history();

CREATE TRIGGER trg_storage_classes_set_updated_at BEFORE UPDATE ON file.storage_classes
  FOR EACH ROW EXECUTE FUNCTION file.set_updated_at();
CREATE TABLE file.storage_classes_history (
  history_id uuid NOT NULL DEFAULT file.uuid_generate_v7(),
  history_operation text NOT NULL,
  history_changed_at timestamptz NOT NULL DEFAULT now(),
  LIKE file.storage_classes,
  CONSTRAINT pk_storage_classes_history PRIMARY KEY (history_id),
  CONSTRAINT ck_storage_classes_history_operation CHECK (history_operation IN ('UPDATE', 'DELETE'))
);
CREATE INDEX idx_storage_classes_history_name ON file.storage_classes_history (name);
COMMENT ON TABLE file.storage_classes_history IS
'append-only: earlier versions of storage_classes rows, written by trg_storage_classes_log_history.';
CREATE TRIGGER trg_storage_classes_log_history AFTER UPDATE OR DELETE ON file.storage_classes
  FOR EACH ROW EXECUTE FUNCTION file.log_history();

-- Attachments -----------------------------------------------------------------------------------
CREATE TABLE file.attachments (
  id uuid NOT NULL DEFAULT file.uuid_generate_v7(),
  tenant_id uuid NOT NULL,
  file_id uuid NOT NULL,
  conversation_id uuid NOT NULL,
  message_id uuid NOT NULL,
  attached_by_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT pk_attachments PRIMARY KEY (id),
  CONSTRAINT fk_attachments_file FOREIGN KEY (file_id) REFERENCES file.files (id),
  CONSTRAINT uq_attachments_file_id_conversation_id_message_id UNIQUE (file_id, conversation_id, message_id)
);
COMMENT ON TABLE file.attachments IS
'append-only: an attachment is recorded once and never changes; it goes with its file.
A file attached to a message of a conversation: whoever may read that conversation may read the file.';
COMMENT ON COLUMN file.attachments.conversation_id IS 'conversation.conversations id of the conversation the message belongs to.';
COMMENT ON COLUMN file.attachments.message_id IS 'conversation.messages id of the message carrying the file.';
COMMENT ON COLUMN file.attachments.attached_by_id IS 'identity.users id of the sender who attached the file (its owner).';
