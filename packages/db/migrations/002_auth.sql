-- Log-in identity and token revocation.
--
-- Emails are compared by a key the application computes (Unicode NFKC, then case folding:
-- emailKey() in queries/users.ts), the same key the log-in limiter counts attempts by, so no
-- spelling of an address reaches an account under another counter. lower() followed the database's
-- locale (glibc maps 'İ' to 'i', the C locale does not), so it could not be that key. Sign-up only
-- accepts ASCII addresses, for which lower(normalize(email, NFKC)) is exactly emailKey().
ALTER TABLE users ADD COLUMN email_key text;
UPDATE users SET email_key = lower(normalize(email, NFKC));
ALTER TABLE users ALTER COLUMN email_key SET NOT NULL;
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
