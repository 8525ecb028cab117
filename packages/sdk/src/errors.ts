import { TRPCClientError } from "@trpc/client";

import { ERROR_CODES, ERROR_STATUS, type ErrorCode, type ErrorIssue } from "@causette/contracts";

/** The contract's error codes, plus the SDK's own: no answer came (`NETWORK`) or the caller aborted (`ABORTED`). */
export type ChatErrorCode = ErrorCode | "NETWORK" | "TIMEOUT" | "ABORTED";

export interface ChatErrorOptions {
  /** The HTTP status; 0 when there was no HTTP answer. */
  status?: number;
  issues?: ErrorIssue[];
  /** Seconds the server asked to wait before retrying (TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE). */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * Every failure the SDK reports. `code` is the contract's error code (`NOT_FOUND`, `BAD_REQUEST`...)
 * or `NETWORK` / `TIMEOUT` when no answer came, `ABORTED` when the call's `signal` aborted it; `status`
 * is the HTTP status the code maps to (0 when no answer came); `issues` names the fields the server
 * refused.
 */
export class ChatError extends Error {
  override readonly name = "ChatError";
  readonly code: ChatErrorCode;
  readonly status: number;
  readonly issues?: ErrorIssue[];
  /** Seconds the server asked to wait before retrying, when it said (TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE). */
  readonly retryAfter?: number;

  constructor(code: ChatErrorCode, message: string, options: ChatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? (isErrorCode(code) ? ERROR_STATUS[code] : 0);
    if (options.issues && options.issues.length > 0) this.issues = options.issues;
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }

  /** Works across copies of the SDK (an ESM and a CJS one in the same process), unlike `instanceof`. */
  static is(value: unknown): value is ChatError {
    return (
      value instanceof ChatError ||
      (value instanceof Error && value.name === "ChatError" && "code" in value && "status" in value)
    );
  }

  /** True when the request may have reached the server but no answer came back. */
  get retryable(): boolean {
    return this.code === "NETWORK" || this.code === "TIMEOUT" || this.code === "SERVICE_UNAVAILABLE";
  }
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

function codeForStatus(status: number): ErrorCode {
  const found = (Object.entries(ERROR_STATUS) as Array<[ErrorCode, number]>).find(([, s]) => s === status);
  if (found) return found[0];
  return status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST";
}

function isIssueList(value: unknown): value is ErrorIssue[] {
  return (
    Array.isArray(value) &&
    value.every((i) => typeof i === "object" && i !== null && typeof (i as ErrorIssue).path === "string")
  );
}

/** An error body as the server sends it in acks and REST answers. */
export function fromErrorBody(
  error: { code: string; message: string; issues?: ErrorIssue[]; retryAfter?: number },
  status?: number,
): ChatError {
  const code = isErrorCode(error.code) ? error.code : "INTERNAL_SERVER_ERROR";
  return new ChatError(code, error.message, {
    ...(status === undefined ? {} : { status }),
    ...(error.issues ? { issues: error.issues } : {}),
    ...retryAfterOf(error.retryAfter),
  });
}

const retryAfterOf = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? { retryAfter: value } : {};

/** Any thrown value, as a ChatError. `timedOut` says the SDK itself aborted the request. */
export function toChatError(error: unknown, timedOut = false): ChatError {
  if (ChatError.is(error)) return error;
  if (timedOut) return new ChatError("TIMEOUT", "The server did not answer in time", { status: 0, cause: error });
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? undefined) as
      { code?: unknown; httpStatus?: unknown; issues?: unknown; retryAfter?: unknown } | undefined;
    const httpStatus = typeof data?.httpStatus === "number" ? data.httpStatus : undefined;
    if (data && isErrorCode(data.code)) {
      return new ChatError(data.code, error.message, {
        status: httpStatus ?? ERROR_STATUS[data.code],
        ...(isIssueList(data.issues) ? { issues: data.issues } : {}),
        ...retryAfterOf(data.retryAfter),
        cause: error,
      });
    }
    // No tRPC error body: either nothing answered, or something that is not the server did (a proxy).
    const response = (error.meta as { response?: { status?: unknown } } | undefined)?.response;
    if (typeof response?.status === "number" && response.status >= 400) {
      return new ChatError(codeForStatus(response.status), error.message, { status: response.status, cause: error });
    }
    return networkError(error.cause ?? error);
  }
  return networkError(error);
}

function networkError(cause: unknown): ChatError {
  const name = cause instanceof Error ? cause.name : "";
  if (name === "TimeoutError")
    return new ChatError("TIMEOUT", "The server did not answer in time", { status: 0, cause });
  const detail = cause instanceof Error && cause.message ? `: ${cause.message}` : "";
  return new ChatError("NETWORK", `Could not reach the server${detail}`, { status: 0, cause });
}
