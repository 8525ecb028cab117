import type { Server as HttpServer } from "node:http";
import type { NextFunction, Request, Response } from "express";

import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { sendError } from "./send-error.ts";

/** How often idle keep-alive connections are closed while requests in flight finish. */
const IDLE_SWEEP_MS = 50;

/**
 * Graceful stop of the HTTP side: the listening socket closes at once, a request arriving on a
 * kept-alive connection is refused with 503 (`Connection: close`, so the client retries elsewhere),
 * the requests already taken are answered, and each connection is closed as soon as it is idle.
 */
export function createDraining(server: HttpServer, logger: Logger) {
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  function middleware(req: Request, res: Response, next: NextFunction) {
    if (closing) {
      res.setHeader("Connection", "close");
      sendError(
        res,
        new AppError("SERVICE_UNAVAILABLE", "The server is shutting down, retry", { retryAfter: 1 }),
        logger,
      );
      return;
    }
    inFlight += 1;
    res.on("close", () => {
      inFlight -= 1;
      if (inFlight === 0) idle?.();
    });
    next();
  }

  return {
    middleware,
    get closing() {
      return closing;
    },
    /** Stops accepting, answers the requests in flight, and resolves once every connection is closed or `deadline` passed. */
    async close(deadlineMs: number): Promise<void> {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
      server.closeIdleConnections();
      const drained = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([drained, late]);
      clearTimeout(timer);
      clearInterval(sweep);
      // Whatever is left (idle, or past the deadline) is cut now.
      server.closeAllConnections();
      await closed;
    },
  };
}
