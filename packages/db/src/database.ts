import { startEmbeddedPostgres } from "./embedded.ts";
import { migrate } from "./migrate.ts";
import { createDatabasePool, type QueryObserver } from "./pool.ts";
import { sql, type DatabasePool } from "./slonik.ts";

export interface DatabaseOptions {
  /** PostgreSQL URL; without one, an embedded PostgreSQL (PGlite) is started. */
  url?: string | undefined;
  /** Where the embedded database keeps its files; in memory when unset. */
  dataDir?: string | undefined;
  maxPoolSize?: number;
  /** Apply pending migrations before answering (default true). */
  migrate?: boolean;
  /** The deadline of every database call (default 5 s). */
  timeoutMs?: number | undefined;
}

export interface Database {
  pool: DatabasePool;
  url: string;
  embedded: boolean;
  /** Calls `observer` after every query of the pool (for metrics); answers the function that stops it. */
  observeQueries(observer: QueryObserver): () => void;
  /** Calls `listener` each time the database becomes unavailable (false) or answers again (true). */
  onAvailabilityChange(listener: (up: boolean) => void): void;
  /** True when a trivial query answers within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const embedded = options.url ? null : await startEmbeddedPostgres(options.dataDir);
  const url = options.url ?? embedded!.url;
  const observers = new Set<QueryObserver>();
  const onQuery: QueryObserver = (seconds, ok) => {
    for (const observer of observers) observer(seconds, ok);
  };
  const availabilityListeners: Array<(up: boolean) => void> = [];
  let available = true;
  const onAvailability = (up: boolean) => {
    if (up === available) return;
    available = up;
    for (const listener of availabilityListeners) listener(up);
  };
  let pool: DatabasePool;
  try {
    if (options.migrate !== false) await migrate(url);
    pool = await createDatabasePool(url, {
      maxPoolSize: embedded ? 1 : options.maxPoolSize,
      onQuery,
      onAvailability,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  return {
    pool,
    url,
    embedded: embedded !== null,
    observeQueries(observer) {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    onAvailabilityChange: (listener) => void availabilityListeners.push(listener),
    async ping(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const query = pool.oneFirst(sql.unsafe`SELECT 1`).then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([query, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
