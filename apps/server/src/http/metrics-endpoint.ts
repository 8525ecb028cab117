import type { Request, Response } from "express";

import type { Metrics } from "../metrics.ts";
import { appRouter } from "../trpc/routers/_app.ts";

const procedures = new Set(Object.keys(appRouter._def.procedures));

/**
 * The route a request matched, as a metric label and log field: the REST route's pattern
 * (`/api/chat/:id`), the tRPC procedure (`/trpc/message.send`, `/trpc (batch)`), or `unmatched`,
 * so the number of series stays bounded whatever paths clients ask for.
 */
export function routeOf(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === "string") return `${req.baseUrl}${pattern}`;
  if (req.baseUrl === "/trpc") {
    const name = req.path.slice(1);
    if (procedures.has(name)) return `/trpc/${name}`;
    return name.includes(",") ? "/trpc (batch)" : "/trpc (unknown)";
  }
  return "unmatched";
}

/** Times every request into the HTTP duration histogram, once its answer is sent. */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: () => void) => {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      metrics.httpRequest(req.method, routeOf(req), res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/** `GET /metrics`: Prometheus's text format. */
export function metricsHandler(metrics: Metrics) {
  return async (_req: Request, res: Response) => {
    res.set("content-type", metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
