import type { Server as HttpServer } from "node:http";
import { createAdapter } from "@socket.io/redis-adapter";
import type { createClient } from "redis";
import { Server } from "socket.io";

import { HANDSHAKE_UNAUTHORIZED } from "@causette/contracts";
import type { DatabasePool } from "@causette/db";

import type { AppConfig } from "../app-config.ts";
import { bearerToken, cookieToken } from "../auth/credentials.ts";
import { DEFAULT_ROOM_VERSIONS_INTERVAL_MS } from "../env.ts";
import { AppError, toAppError } from "../errors.ts";
import { corsOptions } from "../http/cors.ts";
import type { Logger } from "../logger.ts";
import type { Metrics } from "../metrics.ts";
import type { ChatEvents, Services, TokenRevocation } from "../services/index.ts";
import { createBroadcaster } from "./broadcaster.ts";
import { registerHandlers } from "./handlers.ts";
import { createPresence } from "./presence.ts";
import { connectRedis, type RedisLink } from "./redis-link.ts";
import { startRoomVersions } from "./room-versions.ts";
import { startSlowConsumerCheck } from "./slow-consumers.ts";
import { userChannel, type ChatServer, type ChatSocket } from "./types.ts";

export interface Realtime {
  io: ChatServer;
  events: ChatEvents;
  /** Whether the Redis clients that share events are connected; undefined without REDIS_URL. */
  redisState(): "up" | "down" | undefined;
  /** The Redis connection that publishes events, which also serves plain commands; undefined without REDIS_URL. */
  redis: RedisClient | undefined;
  /** Starts answering socket events with these services. */
  serve(services: Services): void;
  /** Tells every socket of this node its joined rooms' current versions now (after an outage). */
  announceVersions(): Promise<void>;
  /** Refuses new events, waits for those in flight, then closes every socket so clients reconnect elsewhere. */
  close(): Promise<void>;
}

export interface RealtimeDeps {
  server: HttpServer;
  config: AppConfig;
  logger: Logger;
  pool: DatabasePool;
  metrics: Metrics;
}

type RedisClient = ReturnType<typeof createClient>;

// A 4,000-character message is at most 16 KB of UTF-8; the rest is framing and other fields.
const MAX_PACKET_BYTES = 32 * 1024;

// setTimeout's longest delay (about 24.8 days); a longer-lived token is rechecked then.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Tells the socket its session is over (as a refused handshake would) and disconnects it. */
function endSession(socket: ChatSocket, reason: "expired" | "revoked") {
  socket._error({ message: HANDSHAKE_UNAUTHORIZED, data: { reason } });
  socket.disconnect(true);
}

/** The promises still running, so shutdown can wait for them to settle. */
class Running {
  private readonly promises = new Set<Promise<unknown>>();

  add<T>(promise: Promise<T>): Promise<T> {
    this.promises.add(promise);
    const forget = () => this.promises.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.promises]);
  }
}

export async function createRealtime({ server, config, logger, pool, metrics }: RealtimeDeps): Promise<Realtime> {
  const cors = corsOptions(config.corsOrigins);
  const io: ChatServer = new Server(server, {
    maxHttpBufferSize: MAX_PACKET_BYTES,
    cors,
    // CORS headers only guard polling; this checks the Origin of every transport, websockets included.
    allowRequest: (req, callback) => {
      const check = cors.origin as (origin: string | undefined, cb: (err: Error | null, ok?: boolean) => void) => void;
      check(req.headers.origin, (_err, ok) => callback(null, ok === true));
    },
  });

  const versions = startRoomVersions(io, pool, config.roomVersionsIntervalMs ?? DEFAULT_ROOM_VERSIONS_INTERVAL_MS);
  const slowConsumers = startSlowConsumerCheck(io, logger);
  let redis: RedisLink | undefined;
  if (config.redisUrl) {
    redis = await connectRedis(config.redisUrl, logger);
    io.adapter(createAdapter(redis.pub, redis.sub, config.redisKey ? { key: config.redisKey } : {}));
    // Events published while Redis was away are lost: every socket checks its rooms' versions.
    redis.onRecovered(() => void versions.announce());
  }

  // Event handlers, then presence updates (which run beside them): closing waits for each in turn.
  const handlersRunning = new Running();
  const presenceRunning = new Running();
  let closing = false;
  function track<T>(work: () => Promise<T>): Promise<T> {
    if (closing) return Promise.reject(new AppError("SERVICE_UNAVAILABLE", "The server is shutting down, retry"));
    return handlersRunning.add(work());
  }

  /** Ends this node's sockets opened with the revoked token(s): the same connect_error as a refused handshake. */
  async function endRevoked({ userId, jti }: TokenRevocation) {
    for (const socket of await io.in(userChannel(userId)).local.fetchSockets()) {
      if (jti === undefined || socket.data.jti === jti) endSession(socket as unknown as ChatSocket, "revoked");
    }
  }
  const revoke = (revocation: TokenRevocation) =>
    endRevoked(revocation).catch((err: unknown) => logger.warn({ err }, "ending revoked sockets failed"));
  io.on("tokens_revoked", (revocation) => void revoke(revocation));

  return {
    io,
    redis: redis?.pub,
    events: {
      ...createBroadcaster(io),
      tokensRevoked(revocation) {
        void revoke(revocation);
        io.serverSideEmit("tokens_revoked", revocation);
      },
    },
    redisState: () => redis?.state(),
    announceVersions: () => versions.announce(),
    serve(services) {
      const presence = createPresence(io, pool, logger);
      io.use((socket, next) => {
        const { auth, headers } = socket.handshake;
        const token =
          (typeof auth?.token === "string" ? auth.token.replace(/^Bearer\s+/i, "") : undefined) ??
          bearerToken(headers.authorization) ??
          cookieToken(headers.cookie, config.cookieSecret);
        if (!token) return next(new Error(HANDSHAKE_UNAUTHORIZED));
        services.users.authenticate(token).then(
          (session) => {
            if (!session) return next(new Error(HANDSHAKE_UNAUTHORIZED));
            socket.data.userId = session.userId;
            socket.data.jti = session.jti;
            socket.data.expiresAt = session.expiresAt;
            next();
          },
          (error: unknown) => next(new Error(toAppError(error).code)),
        );
      });
      io.on("connection", (socket) => {
        const userId = socket.data.userId;
        metrics.socketOpened();
        socket.onAny((event: string) => metrics.eventReceived(event));
        socket.conn.on("packetCreate", (packet: { type: string; data?: unknown }) => {
          if (packet.type === "message") metrics.packetSent(packet.data);
        });
        // Stamped in the same tick as the join: presence orders a user's sockets by it, so a socket
        // that looks up the channel after joining sees every socket stamped before it. Sub-millisecond,
        // so two tabs on two nodes seldom tie.
        socket.data.arrivedAt = performance.timeOrigin + performance.now();
        void socket.join(userChannel(userId));
        // The token's expiry ends the socket, as it ends REST and tRPC access.
        const expiry = setTimeout(
          () => endSession(socket, "expired"),
          Math.min(socket.data.expiresAt * 1000 - Date.now(), MAX_TIMER_MS),
        );
        socket.on("disconnect", () => clearTimeout(expiry));
        registerHandlers(socket, { services, logger, track });
        void presenceRunning.add(presence.connected(socket));
        // While closing, every socket drops to reconnect elsewhere: nobody is going offline.
        socket.on("disconnect", () => {
          metrics.socketClosed();
          if (!closing) void presenceRunning.add(presence.disconnected(userId));
        });
      });
    },
    async close() {
      closing = true;
      versions.stop();
      slowConsumers.stop();
      await handlersRunning.settled();
      // Closing the engine drops every transport: clients see "transport close" and reconnect.
      await io.close();
      await presenceRunning.settled();
      await redis?.close();
    },
  };
}
