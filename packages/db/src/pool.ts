import { createPool, SchemaValidationError, type DatabasePool, type Interceptor } from "./slonik.ts";

/** Validates every row of a `sql.type(Schema)` query against its schema (slonik does not by itself). */
const resultParserInterceptor: Interceptor = {
  name: "causette-result-parser",
  transformRowAsync: async (context, query, row) => {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = await parser["~standard"].validate(row);
    if (result.issues) throw new SchemaValidationError(query, row, result.issues);
    return result.value as typeof row;
  },
};

const typeParsers = [
  // Ids and counters are int8; they stay far below 2^53, so plain numbers are exact.
  { name: "int8", parse: (v: string) => Number(v) },
  { name: "numeric", parse: (v: string) => Number(v) },
  { name: "timestamptz", parse: (v: string) => new Date(Date.parse(v)).toISOString() },
];

export interface PoolOptions {
  /** One connection for the embedded database, which is a single session. */
  maxPoolSize?: number;
}

export function createDatabasePool(url: string, options: PoolOptions = {}): Promise<DatabasePool> {
  return createPool(url, {
    interceptors: [resultParserInterceptor],
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
  });
}
