-- Log-in identity and token revocation.
--
-- Emails are unique, and looked up, by one key: Unicode NFKC, then lower case. The application
-- computes the same key (emailKey() in queries/users.ts) for the log-in limiter, so every spelling
-- that reaches an account (upper case, fullwidth letters) counts against that account's attempts.
-- Sign-up only accepts ASCII addresses, on which this key and emailKey() agree whatever the
-- database's locale. Generated, so every way a user row is written keeps it.
ALTER TABLE users ADD COLUMN email_key text GENERATED ALWAYS AS (lower(normalize(email, NFKC))) STORED;
DROP INDEX users_email_key;
CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- Log-out of every session: tokens carry the generation they were signed in; bumping it revokes
-- them all at once.
ALTER TABLE users ADD COLUMN token_generation integer NOT NULL DEFAULT 0;

-- Log-out of one session: its token's id, until the token would have expired anyway.
CREATE TABLE revoked_tokens (
  jti uuid PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);
