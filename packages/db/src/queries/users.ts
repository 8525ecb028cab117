import { z } from "zod";

import { uniquely } from "../errors.ts";
import { sql, type CommonQueryMethods } from "../slonik.ts";

export const UserRowSchema = z.object({
  id: z.number(),
  username: z.string(),
  email: z.string(),
  createdAt: z.string(),
});
export type UserRow = z.infer<typeof UserRowSchema>;

const UserWithHashSchema = UserRowSchema.extend({ passwordHash: z.string(), tokenGeneration: z.number() });
export type UserWithHash = z.infer<typeof UserWithHashSchema>;

const userColumns = sql.fragment`id, username, email, created_at AS "createdAt"`;

/**
 * How emails are compared, by the unique index (`users.email_key`, migration 002) and by the log-in
 * limiter alike: Unicode NFKC, then lower case.
 */
export function emailKey(email: string): string {
  return email.normalize("NFKC").toLowerCase();
}

/** The user of table alias `u` as a JSON object shaped like UserRow (timestamps as the pool's parser writes them). */
export const userJson = sql.fragment`json_build_object('id', u.id, 'username', u.username, 'email', u.email,
  'createdAt', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

export function insertUser(
  db: CommonQueryMethods,
  user: { username: string; email: string; passwordHash: string },
): Promise<UserRow> {
  return uniquely(
    db.one(sql.type(UserRowSchema)`
      INSERT INTO users (username, email, password_hash)
      VALUES (${user.username}, ${user.email}, ${user.passwordHash})
      RETURNING ${userColumns}`),
  );
}

/** The account of an email, however it is spelt (see emailKey). */
export function findUserByEmail(db: CommonQueryMethods, email: string): Promise<UserWithHash | null> {
  return db.maybeOne(sql.type(UserWithHashSchema)`
    SELECT ${userColumns}, password_hash AS "passwordHash", token_generation AS "tokenGeneration"
    FROM users WHERE email_key = ${emailKey(email)}`);
}

const TokenStateSchema = z.object({ tokenGeneration: z.number(), revoked: z.boolean() });
export type TokenState = z.infer<typeof TokenStateSchema>;

/** What a token is checked against: its user's token generation and whether its id was revoked; null when the user is gone. */
export function findTokenState(db: CommonQueryMethods, userId: number, jti: string): Promise<TokenState | null> {
  return db.maybeOne(sql.type(TokenStateSchema)`
    SELECT token_generation AS "tokenGeneration",
      EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ${jti}::uuid) AS revoked
    FROM users WHERE id = ${userId}`);
}

/** Revokes one token until its expiry; forgets revocations of tokens that have expired anyway. */
export async function revokeToken(
  db: CommonQueryMethods,
  token: { jti: string; userId: number; /** Unix seconds, as the token's `exp`. */ expiresAt: number },
): Promise<void> {
  await db.query(sql.unsafe`
    WITH forgotten AS (DELETE FROM revoked_tokens WHERE expires_at < now())
    INSERT INTO revoked_tokens (jti, user_id, expires_at)
    VALUES (${token.jti}::uuid, ${token.userId}, to_timestamp(${token.expiresAt}))
    ON CONFLICT (jti) DO NOTHING`);
}

/** Revokes every token of the user signed so far; answers the generation new tokens carry. */
export function revokeAllTokens(db: CommonQueryMethods, userId: number): Promise<number | null> {
  return db.maybeOneFirst(sql.type(z.object({ tokenGeneration: z.number() }))`
    UPDATE users SET token_generation = token_generation + 1 WHERE id = ${userId}
    RETURNING token_generation AS "tokenGeneration"`);
}

export function findUserById(db: CommonQueryMethods, id: number): Promise<UserRow | null> {
  return db.maybeOne(sql.type(UserRowSchema)`SELECT ${userColumns} FROM users WHERE id = ${id}`);
}

export function listUsers(
  db: CommonQueryMethods,
  options: { search?: string | undefined; after?: number | undefined; limit: number },
): Promise<readonly UserRow[]> {
  const conditions = [sql.fragment`id > ${options.after ?? 0}`];
  if (options.search) {
    const pattern = `%${options.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(sql.fragment`(lower(username) || ' ' || lower(email)) LIKE ${pattern}`);
  }
  return db.any(sql.type(UserRowSchema)`
    SELECT ${userColumns} FROM users
    WHERE ${sql.join(conditions, sql.fragment` AND `)}
    ORDER BY id LIMIT ${options.limit}`);
}
