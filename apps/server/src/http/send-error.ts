import type { Response } from "express";

import { statusOf, toErrorBody } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { toAppErrorFromTrpc } from "../trpc/errors.ts";

export function sendError(res: Response, error: unknown, logger: Logger): void {
  const appError = toAppErrorFromTrpc(error);
  if (appError.internal !== undefined) logger.error({ err: appError.internal }, "unexpected error");
  if (appError.extra.retryAfter) res.setHeader("Retry-After", String(appError.extra.retryAfter));
  res.status(statusOf(appError)).json(toErrorBody(appError));
}
