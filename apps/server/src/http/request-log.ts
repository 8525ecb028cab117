import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Request } from "express";
import { pinoHttp } from "pino-http";

import type { Logger } from "../logger.ts";
import { routeOf } from "./metrics-endpoint.ts";

const pathOf = (req: IncomingMessage) => (req.url ?? "").split("?")[0];

/** An incoming id is kept when it is short and plain (a proxy's id follows the request); else a new one. */
const WELL_FORMED_ID = /^[\w.:@+=/-]{1,64}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const id = typeof incoming === "string" && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader("x-request-id", id);
  return id;
}

/**
 * One log line per request once answered: its id (also sent back as `x-request-id`), method, path,
 * route, status and duration. No headers, query string or body is logged, so no token, cookie or
 * password can be.
 */
export function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestId,
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split("?")[0],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // A 503 is a known state (shutting down, database away) that its own line announces once: no
    // error and no stack trace per request.
    customLogLevel: (_req, res, error) =>
      res.statusCode === 503 ? "info" : error || res.statusCode >= 500 ? "error" : "info",
    customSuccessObject: (req, _res, fields: Record<string, unknown>) => ({
      ...fields,
      route: routeOf(req as Request),
    }),
    customErrorObject: (req, res, _error, { err, ...fields }: Record<string, unknown>) => ({
      ...fields,
      ...(res.statusCode === 503 ? {} : { err }),
      route: routeOf(req as Request),
    }),
    customSuccessMessage: (req, res, ms) => `${req.method} ${pathOf(req)} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
  });
}
