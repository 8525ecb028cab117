import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import cookieParser from "cookie-parser";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";

import type { Database } from "@causette/db";

import type { AppConfig } from "./app-config.ts";
import { AUTH_COOKIE, bearerToken } from "./auth/credentials.ts";
import { PasswordHasher } from "./auth/passwords.ts";
import { createTokenIssuer, type TokenClaims } from "./auth/tokens.ts";
import { DEFAULT_MAX_GROUP_MEMBERS, DEFAULT_MAX_UPLOAD_BYTES } from "./env.ts";
import { AppError } from "./errors.ts";
import { createDiskStore } from "./files/disk-store.ts";
import type { FileStore } from "./files/file-store.ts";
import { corsOptions } from "./http/cors.ts";
import { mountDocs } from "./http/docs.ts";
import { createDraining } from "./http/draining.ts";
import { mountFileRoutes } from "./http/file-routes.ts";
import { httpMetrics, metricsHandler } from "./http/metrics-endpoint.ts";
import { buildOpenApiDocument } from "./http/openapi.ts";
import { requestLog } from "./http/request-log.ts";
import { mountRestRoutes } from "./http/rest-adapter.ts";
import { securityHeaders } from "./http/security-headers.ts";
import { sendError } from "./http/send-error.ts";
import { mountWebApp } from "./http/web-app.ts";
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitStore } from "./limits/rate-limits.ts";
import type { Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createRealtime, type Realtime } from "./realtime/realtime.ts";
import { createServices, type Services } from "./services/index.ts";
import type { Context } from "./trpc/context.ts";
import { toAppErrorFromTrpc } from "./trpc/errors.ts";
import { appRouter } from "./trpc/routers/_app.ts";

export type { AppConfig } from "./app-config.ts";

export interface AppDeps {
  config: AppConfig;
  db: Database;
  logger: Logger;
  /** Where uploaded files' bytes live (files/stores.ts). Default: a temporary directory, removed at close. */
  store?: FileStore;
  /** Hashes and checks passwords (tests wrap it to count checks). */
  hasher?: PasswordHasher;
}

export interface App {
  server: HttpServer;
  services: Services;
  realtime: Realtime;
  /** Served at `/metrics` on this server, unless `metricsPort` is set (main.ts serves it there). */
  metrics: Metrics;
  /**
   * Stops accepting connections, requests and socket events at once, answers what was taken, then
   * drops sockets (so they reconnect elsewhere) and idle connections; the database stays open.
   */
  close(): Promise<void>;
}

const JSON_LIMIT = "64kb";
const UPLOAD_IDLE_TIMEOUT_MS = 30_000;
const FILE_SWEEP_INTERVAL_MS = 10 * 60_000;
/** Requests in flight at shutdown get this long to finish (SIGTERM must exit within 10 s). */
const DRAIN_MS = 8_000;

export { LOAD_TEST_RATE_LIMITS } from "./limits/rate-limits.ts";

/** The most calls one tRPC batch may hold (a larger one is refused with 400 before any runs). */
export const MAX_BATCH_SIZE = 10;

/** Builds the whole server (HTTP, tRPC, REST, socket.io) without listening. */
export async function createApp({ config, db, logger, ...deps }: AppDeps): Promise<App> {
  const scratch = deps.store ? undefined : await mkdtemp(join(tmpdir(), "causette-files-"));
  const store = deps.store ?? (await createDiskStore(scratch!));
  const tokens = createTokenIssuer(config.jwtSecret, config.jwtExpiresIn);
  const app = express();
  const server = createServer(app);
  const metrics = createMetrics();
  const stopObservingQueries = db.observeQueries(metrics.query);
  const realtime = await createRealtime({ server, config, logger, pool: db.pool, metrics });
  // One line per change of state, not one per failed request; once back, sockets check their rooms.
  db.onAvailabilityChange((up) => {
    if (!up) return logger.warn("the database is not answering: requests get 503 SERVICE_UNAVAILABLE until it is back");
    logger.info("the database answers again");
    void realtime.announceVersions();
  });
  metrics.watch({ pool: db.pool, redisState: () => realtime.redisState() });
  const services = createServices({
    pool: db.pool,
    ping: () => db.ping(),
    redisState: () => realtime.redisState(),
    hasher: deps.hasher ?? new PasswordHasher(),
    tokens,
    limits: createRateLimits({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }, rateLimitStore(config, realtime)),
    events: realtime.events,
    startedAt: Date.now(),
    onSendBatch: (size, stored) => metrics.sendBatch(size, stored),
    maxGroupMembers: config.maxGroupMembers ?? DEFAULT_MAX_GROUP_MEMBERS,
    store,
    clock: config.clock ?? Date.now,
    orderRoomEvents: config.orderRoomEvents ?? true,
  });
  realtime.serve(services);

  const cookieOptions = {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: config.production,
    signed: true,
    path: "/",
  };

  function createContext(req: Request, res: Response): Context {
    const signed = (req.signedCookies as Record<string, unknown> | undefined)?.[AUTH_COOKIE];
    const token = bearerToken(req.headers.authorization) ?? (typeof signed === "string" ? signed : undefined);
    let session: Promise<TokenClaims | null> | undefined;
    return {
      services,
      // Once per request: a tRPC batch of ten calls checks its token once.
      session: () => (session ??= token ? services.users.authenticate(token) : Promise.resolve(null)),
      address: req.ip ?? req.socket.remoteAddress ?? "unknown",
      http: {
        setToken: (value) => {
          // The answer carries the token: no cache, shared or private, may keep it.
          res.setHeader("cache-control", "no-store");
          res.cookie(AUTH_COOKIE, value, { ...cookieOptions, maxAge: tokens.lifetimeMs });
        },
        clearToken: () => res.clearCookie(AUTH_COOKIE, { ...cookieOptions, signed: false }),
      },
    };
  }

  const draining = createDraining(server, logger);
  app.disable("x-powered-by");
  app.use(httpMetrics(metrics));
  app.use(requestLog(logger));
  app.use(draining.middleware);
  if (config.metricsPort === undefined) app.get("/metrics", metricsHandler(metrics));
  app.set("trust proxy", "loopback");
  app.use(helmet(securityHeaders(config.production)));
  app.use(cors(corsOptions(config.corsOrigins)));
  app.use(express.json({ limit: JSON_LIMIT }));
  app.use(cookieParser(config.cookieSecret));
  mountFileRoutes(app, {
    services,
    store,
    limits: {
      maxBytes: config.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES,
      idleTimeoutMs: config.uploadIdleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS,
    },
    callerOf: async (req, res) => {
      const session = await createContext(req, res).session();
      return session && { userId: session.userId };
    },
    logger,
  });

  app.use(
    "/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req, res }) => createContext(req, res),
      maxBatchSize: MAX_BATCH_SIZE,
      responseMeta: ({ errors }) => {
        const retryAfter = Math.max(0, ...errors.map((e) => toAppErrorFromTrpc(e).extra.retryAfter ?? 0));
        return retryAfter > 0 ? { headers: { "retry-after": String(retryAfter) } } : {};
      },
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof AppError)) {
          logger.error({ err: error.cause ?? error, path }, "unexpected error");
        }
      },
    }),
  );
  mountRestRoutes(app, createContext, logger);
  mountDocs(app, buildOpenApiDocument());
  if (config.webDir) mountWebApp(app, config.webDir);

  app.use((req, res) => {
    sendError(res, new AppError("NOT_FOUND", `No route ${req.method} ${req.path}`), logger);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, transportError(error) ?? error, logger);
  });

  const sweeper = setInterval(() => {
    services.files.sweep().catch((error: unknown) => logger.error({ err: error }, "file sweep failed"));
  }, config.fileSweepIntervalMs ?? FILE_SWEEP_INTERVAL_MS).unref();

  return {
    server,
    services,
    realtime,
    metrics,
    async close() {
      clearInterval(sweeper);
      const http = draining.close(DRAIN_MS);
      await realtime.close();
      await http;
      stopObservingQueries();
      metrics.close();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    },
  };
}

/**
 * Rate-limit counters in the Redis that carries socket.io events when REDIS_URL is set, so every node
 * counts against one budget (under the nodes' shared key), in this process's memory otherwise.
 */
function rateLimitStore(config: AppConfig, realtime: Realtime): RateLimitStore {
  if (!realtime.redis) return { kind: "memory" };
  return { kind: "redis", redis: realtime.redis, keyPrefix: config.redisKey ?? "causette" };
}

/**
 * Transport failures before any route ran (express.json, the router's URL decoding): http-errors
 * carrying a 4xx status, as the client errors they are. A body marked gzip that is not gzip is one.
 */
function transportError(error: unknown): AppError | undefined {
  const { status, type } = (error ?? {}) as { status?: unknown; type?: unknown };
  if (typeof status !== "number" || status < 400 || status >= 500) return undefined;
  if (type === "entity.parse.failed")
    return new AppError("BAD_REQUEST", "The body is not valid JSON", {
      issues: [{ path: "", message: "malformed JSON" }],
    });
  if (status === 413) return new AppError("PAYLOAD_TOO_LARGE", `The body is over ${JSON_LIMIT}`);
  if (status === 415) return new AppError("UNSUPPORTED_MEDIA_TYPE", "The body's encoding or charset is not supported");
  return new AppError(
    "BAD_REQUEST",
    "The request could not be read (a body that does not match its content-encoding?)",
  );
}
