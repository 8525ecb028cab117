import type { CommonQueryMethods, DatabasePool } from "@causette/db";

import { AppError } from "../errors.ts";

/**
 * Runs `work` in a transaction and throws its AppError only once the transaction is over. slonik
 * destroys a connection whose transaction handler throws, which costs a reconnect, and on the
 * embedded database (one session shared by every connection) leaves the next connection at odds
 * with the session's prepared statements. So `work` must refuse before it writes anything: an
 * AppError commits what was read, and nothing was written.
 */
export async function transact<T>(pool: DatabasePool, work: (tx: CommonQueryMethods) => Promise<T>): Promise<T> {
  const outcome = await pool.transaction(async (tx) => {
    try {
      return { ok: true as const, value: await work(tx) };
    } catch (error) {
      if (error instanceof AppError) return { ok: false as const, error };
      throw error;
    }
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
