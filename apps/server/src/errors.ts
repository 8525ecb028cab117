import { z } from "zod";

import {
  describeIssues,
  ERROR_CODES,
  ERROR_STATUS,
  toErrorIssues,
  type ErrorBody,
  type ErrorCode,
  type ErrorIssue,
} from "@causette/contracts";
import { ConflictError, DatabaseUnavailableError } from "@causette/db";

/** The one error a service throws: a contract code, a message for the client, maybe field issues. */
export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { issues?: ErrorIssue[]; retryAfter?: number } = {},
  ) {
    super(message);
  }
}

const INTERNAL_MESSAGE = "Internal server error";

export function badRequest(path: string, message: string): AppError {
  const issues = [{ path, message }];
  return new AppError("BAD_REQUEST", describeIssues(issues), { issues });
}

export function signInFirst(): AppError {
  return new AppError(
    "UNAUTHORIZED",
    "Sign in first: send a valid token (not expired, not logged out) as a Bearer header or the login cookie",
  );
}

export function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

function fromZod(error: z.core.$ZodError): AppError {
  const issues = toErrorIssues(error.issues);
  return new AppError("BAD_REQUEST", describeIssues(issues), { issues });
}

/** The fixed INTERNAL_SERVER_ERROR a client sees for an unexpected failure; `internal` keeps it for the log. */
export function internalError(original: unknown): AppError & { internal: unknown } {
  return Object.assign(new AppError("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE), { internal: original });
}

/**
 * Any thrown value, as the AppError a client may see. Unknown errors become a fixed
 * INTERNAL_SERVER_ERROR; `internal` is set so the caller logs the original. (The tRPC layer
 * unwraps its own errors first: see trpc/errors.ts.)
 */
export function toAppError(error: unknown): AppError & { internal?: unknown } {
  if (error instanceof AppError) return error;
  if (error instanceof z.core.$ZodError) return fromZod(error);
  if (error instanceof ConflictError) return new AppError("CONFLICT", "Already exists");
  if (error instanceof DatabaseUnavailableError)
    return new AppError("SERVICE_UNAVAILABLE", "The database is not answering: retry shortly", { retryAfter: 1 });
  return internalError(error);
}

export function toErrorBody(error: AppError): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.extra.issues ? { issues: error.extra.issues } : {}),
      ...(error.extra.retryAfter ? { retryAfter: error.extra.retryAfter } : {}),
    },
  };
}

export function statusOf(error: AppError): number {
  return ERROR_STATUS[error.code];
}
