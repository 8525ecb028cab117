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

const UserWithHashSchema = UserRowSchema.extend({ passwordHash: z.string() });
export type UserWithHash = z.infer<typeof UserWithHashSchema>;

const userColumns = sql.fragment`id, username, email, created_at AS "createdAt"`;

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

export function findUserByEmail(db: CommonQueryMethods, email: string): Promise<UserWithHash | null> {
  return db.maybeOne(sql.type(UserWithHashSchema)`
    SELECT ${userColumns}, password_hash AS "passwordHash" FROM users WHERE lower(email) = lower(${email})`);
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
