import type { Config } from "./env.ts";
import type { RateLimitRules } from "./limits/rate-limits.ts";

/** What the app needs of the configuration: a part of env.ts's, plus what tests and benchmarks vary. */
export type AppConfig = Pick<
  Config,
  "production" | "jwtSecret" | "cookieSecret" | "jwtExpiresIn" | "corsOrigins" | "redisUrl"
> &
  Partial<Pick<Config, "maxGroupMembers" | "maxUploadBytes" | "metricsPort" | "roomVersionsIntervalMs" | "webDir">> & {
    /**
     * Prefix of what nodes share in Redis: socket.io channels (default "socket.io") and rate-limit
     * counters (default "causette"). Nodes with the same one serve one user base.
     */
    redisKey?: string;
    /** An upload that sends nothing for this long is refused with 408 and its partial file removed. Default 30 s. */
    uploadIdleTimeoutMs?: number;
    /** How often uploads never attached (and files no message carries any more) are removed. Default 10 min. */
    fileSweepIntervalMs?: number;
    /** The time in ms since the epoch (default Date.now): tests move it to age uploads. */
    clock?: () => number;
    /**
     * Live events of a room leave in version order (default true). Only the benchmark turns it off,
     * to measure what the ordering costs.
     */
    orderRoomEvents?: boolean;
    /** Rate limits, over the defaults (tests and benchmarks set their own). */
    rateLimits?: Partial<RateLimitRules>;
  };
