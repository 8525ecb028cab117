import { z } from "zod";

/** The closed set of error codes, named as tRPC names them. */
export const ERROR_CODES = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "METHOD_NOT_SUPPORTED",
  "TIMEOUT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "TOO_MANY_REQUESTS",
  "INTERNAL_SERVER_ERROR",
  "SERVICE_UNAVAILABLE",
] as const;

export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ERROR_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  METHOD_NOT_SUPPORTED: 405,
  TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
};

export const ErrorIssueSchema = z.object({
  path: z.string().describe("The field, as a dotted path (empty for the whole input)"),
  message: z.string(),
});
export type ErrorIssue = z.infer<typeof ErrorIssueSchema>;

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      issues: z.array(ErrorIssueSchema).optional(),
      retryAfter: z
        .number()
        .int()
        .positive()
        .optional()
        .describe(
          "Seconds to wait before retrying (TOO_MANY_REQUESTS, SERVICE_UNAVAILABLE); also the Retry-After header",
        ),
    }),
  })
  .meta({ id: "ErrorBody" });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * Of a union's branches, the one the input came closest to: the fewest issues, and on a tie the
 * one whose keys the input uses (no unknown keys). Its issues name the fields the client got wrong.
 */
function closestBranch(branches: readonly z.core.$ZodIssue[][]): z.core.$ZodIssue[] {
  const score = (issues: readonly z.core.$ZodIssue[]) =>
    issues.length + (issues.some((i) => i.code === "unrecognized_keys") ? 0.5 : 0);
  return branches.reduce((best, branch) => (score(branch) < score(best) ? branch : best));
}

/** Flattens zod issues into `{ path, message }` pairs that name the field. */
export function toErrorIssues(issues: readonly z.core.$ZodIssue[]): ErrorIssue[] {
  return issues.flatMap((issue): ErrorIssue[] => {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return [{ path: [...path, ...issue.keys].join("."), message: issue.message }];
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      return toErrorIssues(closestBranch(issue.errors)).map((inner) => ({
        ...inner,
        path: [...path, inner.path].filter(Boolean).join("."),
      }));
    }
    return [{ path: path.join("."), message: issue.message }];
  });
}

/** One line that names each field at fault, for the error's `message`. */
export function describeIssues(issues: readonly ErrorIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}
