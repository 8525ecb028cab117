import { TRPCError } from "@trpc/server";

import { AppError, internalError, isErrorCode, toAppError } from "../errors.ts";

/**
 * Any value thrown through tRPC (by a procedure, or by tRPC itself), as the AppError a client may
 * see: a TRPCError is unwrapped to what the procedure threw, or mapped by its own code.
 */
export function toAppErrorFromTrpc(error: unknown): AppError & { internal?: unknown } {
  if (!(error instanceof TRPCError)) return toAppError(error);
  // tRPC's own errors (405, 415, a bad batch) have no cause: they map by their code below.
  if (error.cause !== undefined) {
    const fromService = toAppError(error.cause);
    if (!("internal" in fromService)) return fromService;
  }
  if (error.code === "PARSE_ERROR") return new AppError("BAD_REQUEST", error.message);
  if (error.code !== "INTERNAL_SERVER_ERROR" && isErrorCode(error.code)) return new AppError(error.code, error.message);
  return internalError(error.cause ?? error);
}
