import { UniqueIntegrityConstraintViolationError } from "./slonik.ts";

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
