import type { Config } from "./env.ts";

/** What the app needs of the configuration: a part of env.ts's, plus what tests and benchmarks vary. */
export type AppConfig = Pick<
  Config,
  "production" | "jwtSecret" | "cookieSecret" | "jwtExpiresIn" | "corsOrigins" | "redisUrl"
> &
  Partial<Pick<Config, "maxGroupMembers">> & {
    /** Prefix of the Redis channels socket.io nodes share: nodes with the same one serve one user base. Default "socket.io". */
    redisKey?: string;
  };
