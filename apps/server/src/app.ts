import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import cookieParser from "cookie-parser";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";

import type { Database } from "@causette/db";

import type { AppConfig } from "./app-config.ts";
import { AUTH_COOKIE, bearerToken } from "./auth/credentials.ts";
import { LoginLimiter } from "./auth/login-limiter.ts";
import { PasswordHasher } from "./auth/passwords.ts";
import { createTokenIssuer } from "./auth/tokens.ts";
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
import { sendError } from "./http/send-error.ts";
import type { Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createRealtime, type Realtime } from "./realtime/realtime.ts";
import { createServices, type Services } from "./services/index.ts";
import type { Context } from "./trpc/context.ts";
import { appRouter } from "./trpc/routers/_app.ts";

export type { AppConfig } from "./app-config.ts";

export interface AppDeps {
  config: AppConfig;
  db: Database;
  logger: Logger;
  /** Where uploaded files' bytes live (files/stores.ts). Default: a temporary directory, removed at close. */
  store?: FileStore;
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

/** Builds the whole server (HTTP, tRPC, REST, socket.io) without listening. */
export async function createApp({ config, db, logger, ...deps }: AppDeps): Promise<App> {
  const scratch = deps.store ? undefined : await mkdtemp(join(tmpdir(), "causette-files-"));
  const store = deps.store ?? (await createDiskStore(scratch!));
  const tokens = createTokenIssuer(config.jwtSecret, config.jwtExpiresIn);
  const app = express();
  const server = createServer(app);
  const metrics = createMetrics();
  const stopObservingQueries = db.observeQueries(metrics.query);
  const realtime = await createRealtime({ server, tokens, config, logger, pool: db.pool, metrics });
  metrics.watch({ pool: db.pool, redisState: () => realtime.redisState() });
  const services = createServices({
    pool: db.pool,
    ping: () => db.ping(),
    redisState: () => realtime.redisState(),
    hasher: new PasswordHasher(),
    tokens,
    loginLimiter: new LoginLimiter(),
    events: realtime.events,
    startedAt: Date.now(),
    onSendBatch: (size, stored) => metrics.sendBatch(size, stored),
    maxGroupMembers: config.maxGroupMembers ?? DEFAULT_MAX_GROUP_MEMBERS,
    store,
    clock: config.clock ?? Date.now,
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
    const userId = token ? tokens.verify(token) : null;
    return {
      services,
      caller: userId === null ? null : { userId },
      address: req.ip ?? req.socket.remoteAddress ?? "unknown",
      http: {
        setToken: (value) => res.cookie(AUTH_COOKIE, value, { ...cookieOptions, maxAge: tokens.lifetimeMs }),
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
    callerOf: (req, res) => createContext(req, res).caller,
    logger,
  });

  app.use(
    "/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req, res }) => createContext(req, res),
      onError: ({ error, path }) => {
        if (error.code === "INTERNAL_SERVER_ERROR" && !(error.cause instanceof AppError)) {
          logger.error({ err: error.cause ?? error, path }, "unexpected error");
        }
      },
    }),
  );
  mountRestRoutes(app, createContext, logger);
  mountDocs(app, buildOpenApiDocument());

  app.use((req, res) => {
    sendError(res, new AppError("NOT_FOUND", `No route ${req.method} ${req.path}`), logger);
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    sendError(res, bodyParserError(error) ?? error, logger);
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

/** express.json's failures, as the client errors they are. */
function bodyParserError(error: unknown): AppError | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  if (type === "entity.parse.failed")
    return new AppError("BAD_REQUEST", "The body is not valid JSON", {
      issues: [{ path: "", message: "malformed JSON" }],
    });
  if (type === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", `The body is over ${JSON_LIMIT}`);
  if ((typeof type === "string" && type.startsWith("encoding.")) || type === "charset.unsupported") {
    return new AppError("BAD_REQUEST", "The body's encoding is not supported");
  }
  return undefined;
}
