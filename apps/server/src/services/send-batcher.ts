import { insertMessages, type DatabasePool, type NewMessage, type StoredMessage } from "@causette/db";

import { AppError } from "../errors.ts";

/** Statements in flight at once; the rest of the pool stays free for reads. */
const MAX_IN_FLIGHT = 4;
const MAX_BATCH = 500;
/** Sends waiting for a statement at most (the database is slow or away): past it, a send is refused at once. */
const MAX_QUEUED_SENDS = 10_000;

interface Pending {
  input: NewMessage;
  resolve(stored: StoredMessage | null): void;
  reject(error: unknown): void;
}

/**
 * Group commit for sends: the sends that arrive while the database is busy are written together,
 * in one multi-row statement (one round trip, one commit). At low load a send goes out alone on
 * the next turn of the event loop, so it waits for nothing; under load the batches grow by
 * themselves. Each send still resolves only once its statement has committed.
 */
/** Told of each statement: how many sends it carried, and how many messages it stored. */
export type BatchObserver = (size: number, stored: number) => void;

export function createSendBatcher(pool: DatabasePool, observe: BatchObserver = () => {}) {
  const queue: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  function flush() {
    scheduled = false;
    while (queue.length > 0 && inFlight < MAX_IN_FLIGHT) {
      const batch = queue.splice(0, MAX_BATCH);
      inFlight += 1;
      insertMessages(
        pool,
        batch.map((p) => p.input),
      )
        .then(
          (rows) => {
            observe(batch.length, rows.filter((row) => row !== null).length);
            batch.forEach((p, i) => p.resolve(rows[i] ?? null));
          },
          (error: unknown) => batch.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          inFlight -= 1;
          flush();
        });
    }
  }

  return {
    /** The stored message, or null when nothing was inserted (see insertMessages). */
    insert(input: NewMessage): Promise<StoredMessage | null> {
      if (queue.length >= MAX_QUEUED_SENDS) {
        return Promise.reject(
          new AppError("TOO_MANY_REQUESTS", "Too many sends waiting for the database: retry shortly", {
            retryAfter: 1,
          }),
        );
      }
      return new Promise((resolve, reject) => {
        queue.push({ input, resolve, reject });
        if (!scheduled && inFlight < MAX_IN_FLIGHT) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
export type SendBatcher = ReturnType<typeof createSendBatcher>;
