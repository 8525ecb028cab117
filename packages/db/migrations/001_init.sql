-- Causette schema. Every id is bigint: an id a client sends is compared without overflow, and no
-- table runs out of ids.
-- Accent-folding search needs unaccent; username/email search uses trigrams.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (its dictionary could change); a stored column needs an IMMUTABLE
-- wrapper that names the dictionary explicitly, the usual and safe way round it.
CREATE FUNCTION causette_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, lower($1));

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username text NOT NULL,
  email text NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_search_idx ON users USING gin ((lower(username) || ' ' || lower(email)) gin_trgm_ops);

-- A private room between two users. user_low < user_high names the pair once, so the unique
-- constraint makes "one room per pair" hold under any concurrency.
CREATE TABLE rooms (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_low bigint NOT NULL REFERENCES users (id),
  user_high bigint NOT NULL REFERENCES users (id),
  version bigint NOT NULL DEFAULT 0,
  last_message_id bigint,
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT rooms_pair_ordered CHECK (user_low < user_high),
  CONSTRAINT rooms_pair_key UNIQUE (user_low, user_high)
);

CREATE TABLE room_members (
  room_id bigint NOT NULL REFERENCES rooms (id),
  user_id bigint NOT NULL REFERENCES users (id),
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id, room_id);

CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id bigint NOT NULL REFERENCES rooms (id),
  sender_id bigint NOT NULL REFERENCES users (id),
  body text NOT NULL,
  state text NOT NULL DEFAULT 'ok' CONSTRAINT messages_state_check CHECK (state IN ('ok', 'recu', 'lu')),
  client_id text,
  version bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, causette_fold(body))) STORED
);
-- History pages: keyset on (room_id, id).
CREATE INDEX messages_room_id_idx ON messages (room_id, id);
-- Catch-up: changes after a version.
CREATE INDEX messages_room_version_idx ON messages (room_id, version);
-- Idempotent sends.
CREATE UNIQUE INDEX messages_client_id_key ON messages (room_id, sender_id, client_id) WHERE client_id IS NOT NULL;
-- Unread counts and receipts: the messages not yet read, per room and sender.
CREATE INDEX messages_unread_idx ON messages (room_id, sender_id, id) WHERE state <> 'lu' AND deleted_at IS NULL;
CREATE INDEX messages_search_idx ON messages USING gin (search);
