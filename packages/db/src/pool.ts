import { DatabaseUnavailableError, isUnavailable } from "./errors.ts";
import { createPool, SchemaValidationError, type DatabasePool, type Interceptor } from "./slonik.ts";

/**
 * Validates every row of a `sql.type(Schema)` query against its schema (slonik does not by itself).
 * Synchronously: our row schemas have no async refinements, and the async hook costs an await per
 * row (a room list is 200 of them).
 */
const resultParserInterceptor: Interceptor = {
  name: "causette-result-parser",
  transformRow: (context, query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser["~standard"].validate(row);
    if (result instanceof Promise) throw new TypeError("row schemas must validate synchronously");
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as typeof row;
  },
};

/**
 * PostgreSQL's timestamptz text as ISO 8601. In UTC ("2026-11-25 17:13:46.907123+00") it is rewritten
 * directly, to the millisecond: V8's Date.parse takes its slow path on this format, and a room list
 * has a thousand timestamps. Any other offset goes through Date.
 */
export function timestamptzToIso(value: string): string {
  if (value.length <= 29 && value[10] === " " && value.endsWith("+00")) {
    const fraction = value.slice(19, -3);
    return `${value.slice(0, 10)}T${value.slice(11, 19)}${(fraction || ".").padEnd(4, "0").slice(0, 4)}Z`;
  }
  return new Date(Date.parse(value)).toISOString();
}

const typeParsers = [
  // Ids and counters are int8; they stay far below 2^53, so plain numbers are exact.
  { name: "int8", parse: (v: string) => Number(v) },
  { name: "numeric", parse: (v: string) => Number(v) },
  { name: "timestamptz", parse: timestamptzToIso },
];

/** Told of every query once it has answered: how long it took, and whether it succeeded. */
export type QueryObserver = (seconds: number, ok: boolean) => void;

function timingInterceptor(observe: QueryObserver): Interceptor {
  const seconds = (context: { queryInputTime: bigint | number }) =>
    Number(process.hrtime.bigint() - BigInt(context.queryInputTime)) / 1e9;
  return {
    name: "causette-query-timing",
    afterQueryExecution: (context) => {
      observe(seconds(context), true);
      return null;
    },
    queryExecutionError: (context) => {
      observe(seconds(context), false);
      return null;
    },
  };
}

export interface PoolOptions {
  /** One connection for the embedded database, which is a single session. */
  maxPoolSize?: number;
  onQuery?: QueryObserver;
  /** The deadline of every call, connection included (default DEFAULT_DB_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Told after each call whether the database answered (true) or was unavailable (false). */
  onAvailability?: (up: boolean) => void;
}

export const DEFAULT_DB_TIMEOUT_MS = 5_000;

/** The pool's methods that talk to the database; each gets the deadline. */
const CALLS = new Set([
  "any",
  "anyFirst",
  "connect",
  "exists",
  "many",
  "manyFirst",
  "maybeOne",
  "maybeOneFirst",
  "one",
  "oneFirst",
  "query",
  "transaction",
]);

/**
 * Every call of `pool` (a transaction as a whole) answers within `ms`: PostgreSQL's own
 * statement_timeout cannot fire when the server is frozen, and the pool's queue waits without
 * limit. A call past its deadline, or failing for want of a database, rejects with
 * DatabaseUnavailableError; the work itself may still finish later (a retried send finds it by
 * its clientId).
 */
function withDeadlines(pool: DatabasePool, ms: number, onAvailability: (up: boolean) => void): DatabasePool {
  function deadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new DatabaseUnavailableError(`The database did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([work, late]).then(
      (value) => {
        clearTimeout(timer);
        onAvailability(true);
        return value;
      },
      (error: unknown) => {
        clearTimeout(timer);
        if (!isUnavailable(error)) throw error;
        onAvailability(false);
        throw error instanceof DatabaseUnavailableError
          ? error
          : new DatabaseUnavailableError("The database is unreachable", { cause: error });
      },
    );
  }
  return new Proxy(pool, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (typeof key !== "string" || !CALLS.has(key)) return bound;
      return (...args: unknown[]) => deadline(bound(...args) as Promise<unknown>);
    },
  });
}

export async function createDatabasePool(url: string, options: PoolOptions = {}): Promise<DatabasePool> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS;
  const pool = await createPool(url, {
    interceptors: [resultParserInterceptor, ...(options.onQuery ? [timingInterceptor(options.onQuery)] : [])],
    typeParsers,
    maxPoolSize: options.maxPoolSize ?? 10,
    idleTimeout: options.maxPoolSize === 1 ? "DISABLE_TIMEOUT" : 10_000,
    // slonik's default resets each released connection with DISCARD ALL: one more round trip after
    // every query, and it drops prepared statements. Nothing here leaves session state behind (no
    // SET, no temporary tables; migrations use their own connection), so there is nothing to reset.
    resetConnection: async () => {},
    // Clients retry on their own terms; a silently repeated write could run twice.
    queryRetryLimit: 0,
    transactionRetryLimit: 0,
    // PostgreSQL ends a statement past the deadline itself when it is alive but slow.
    statementTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
  });
  return withDeadlines(pool, timeoutMs, options.onAvailability ?? (() => {}));
}
