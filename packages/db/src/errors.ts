import {
  BackendTerminatedError,
  BackendTerminatedUnexpectedlyError,
  ConnectionError,
  StatementTimeoutError,
  UniqueIntegrityConstraintViolationError,
} from "./slonik.ts";

/** A write that a unique constraint refused; `constraint` names which. */
export class ConflictError extends Error {
  override name = "ConflictError";
  readonly code = "CONFLICT";
  constructor(readonly constraint: string | null) {
    super(`unique constraint ${constraint ?? "(unknown)"} refused the write`);
  }
}

/** Runs a write, turning a unique violation into a ConflictError (the only place that does). */
export async function uniquely<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof UniqueIntegrityConstraintViolationError) throw new ConflictError(error.constraint);
    throw error;
  }
}

/**
 * The database did not answer in time, refused the connection or dropped it: nothing the caller
 * did wrong, and worth retrying shortly.
 */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/** Error codes of a database that is unreachable, restarting or out of connections (not of a bad query). */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);
const UNAVAILABLE_SQLSTATES = /^(08|57P0[123]|53300)/;

/** Whether `error` (or one of its causes) says the database is unreachable rather than the query wrong. */
export function isUnavailable(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (
      e instanceof DatabaseUnavailableError ||
      e instanceof ConnectionError ||
      e instanceof BackendTerminatedError ||
      e instanceof BackendTerminatedUnexpectedlyError ||
      e instanceof StatementTimeoutError
    )
      return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code))) return true;
    if (/connection terminated|connection timeout|timeout exceeded when trying to connect/i.test(e.message))
      return true;
  }
  return false;
}
