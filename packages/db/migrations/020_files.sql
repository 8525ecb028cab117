-- Uploaded files. The bytes live in a store (local disk or S3) under `storage_key`, a random name
-- the server chose: nothing a client sends ever becomes part of a path or an object key.
CREATE TABLE files (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uploader_id bigint NOT NULL REFERENCES users (id),
  -- The client's file name, sanitized; only ever shown and sent back in content-disposition.
  name text NOT NULL,
  size bigint NOT NULL CONSTRAINT files_size_check CHECK (size > 0),
  -- Sniffed from the bytes, never the type the client claimed.
  content_type text NOT NULL,
  width integer,
  height integer,
  storage_key text NOT NULL CONSTRAINT files_storage_key_key UNIQUE,
  thumbnail_key text CONSTRAINT files_thumbnail_key_key UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Set when a message first carries the file: from then on it goes as soon as no message does.
  attached_at timestamptz
);
-- The sweep looks for uploads never attached that are old enough, and for files attached once.
CREATE INDEX files_sweep_idx ON files (created_at) WHERE attached_at IS NULL;
CREATE INDEX files_attached_idx ON files (attached_at) WHERE attached_at IS NOT NULL;

-- Which messages carry which files. A file may be carried by several messages; it is kept while
-- one does, and readable by the members of the rooms of those messages.
CREATE TABLE message_attachments (
  message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  file_id bigint NOT NULL REFERENCES files (id),
  position smallint NOT NULL,
  PRIMARY KEY (message_id, file_id)
);
CREATE INDEX message_attachments_file_idx ON message_attachments (file_id);
