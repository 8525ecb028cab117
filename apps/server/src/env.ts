import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { z } from "zod";

import { DEFAULT_DB_TIMEOUT_MS } from "@causette/db";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Where `.env` and the embedded database's `.data/` live: the repository root, or the working
 * directory for a production install of the server alone (`pnpm deploy`), which has no repository.
 */
export const ROOT_DIR = existsSync(`${REPOSITORY_ROOT}pnpm-workspace.yaml`) ? REPOSITORY_ROOT : `${process.cwd()}/`;

const WEB_DIR = `${ROOT_DIR}apps/web/dist/`;

const DURATION = /^\d+(ms|s|m|h|d)$/;

export const DEFAULT_MAX_GROUP_MEMBERS = 10_000;
/** Every socket learns its joined rooms' versions at least this often (SPEC: 30 s at most). */
export const DEFAULT_ROOM_VERSIONS_INTERVAL_MS = 30_000;
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

const optionalUrl = (protocols: RegExp, hint: string) =>
  z
    .string()
    .trim()
    .transform((v) => v || undefined)
    .pipe(z.url({ protocol: protocols, error: `must be a ${hint} URL` }).optional())
    .optional();

const port = z.coerce.number({ error: "must be a port number" }).int().min(0).max(65535);

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DB_URL: optionalUrl(/^postgres(ql)?$/, "postgres://"),
  DATABASE_URL: optionalUrl(/^postgres(ql)?$/, "postgres://"),
  JWT: z.string().optional(),
  COOKIE: z.string().optional(),
  PORT: port.default(5050),
  HOST: z.string().trim().min(1, "must be an address to listen on, such as 127.0.0.1 or 0.0.0.0").optional(),
  METRICS_PORT: port.optional(),
  JWT_EXPIRES_IN: z.string().regex(DURATION, "must be a duration such as 15m, 12h or 7d").default("7d"),
  REDIS_URL: optionalUrl(/^rediss?$/, "redis://"),
  DB_TIMEOUT_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(100, "must be at least 100 ms")
    .max(600_000, "must be at most 600000 ms (10 minutes)")
    .default(DEFAULT_DB_TIMEOUT_MS),
  ROOM_VERSIONS_INTERVAL_MS: z.coerce
    .number({ error: "must be a number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .min(1_000, "must be at least 1000 ms")
    .max(30_000, "must be at most 30000 ms (clients are never more than 30 s behind)")
    .default(DEFAULT_ROOM_VERSIONS_INTERVAL_MS),
  CORS_ORIGIN: z.string().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DATA_DIR: z.string().optional(),
  MAX_GROUP_MEMBERS: z.coerce
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(2)
    .max(1_000_000)
    .default(DEFAULT_MAX_GROUP_MEMBERS),
  MAX_UPLOAD_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int("must be a whole number of bytes")
    .positive("must be a positive number of bytes")
    .default(DEFAULT_MAX_UPLOAD_BYTES),
  S3_BUCKET: z.string().trim().min(3, "must be a bucket name of 3 or more characters").optional(),
  S3_ENDPOINT: optionalUrl(/^https?$/, "http(s)://"),
  S3_REGION: z.string().trim().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
});

/** Where uploaded files live: under DATA_DIR, or in an S3-compatible bucket. */
export type StorageConfig =
  | { kind: "disk"; dir: string }
  | {
      kind: "s3";
      bucket: string;
      endpoint: string | undefined;
      region: string;
      /** Unset: the AWS SDK's default credential chain (instance roles, AWS_* variables). */
      credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
    };

export interface Config {
  nodeEnv: "development" | "production" | "test";
  production: boolean;
  dbUrl: string | undefined;
  /** The deadline of every database call, connection included. */
  dbTimeoutMs: number;
  /** Where the embedded database keeps its files. */
  dataDir: string;
  storage: StorageConfig;
  maxUploadBytes: number;
  jwtSecret: string;
  cookieSecret: string;
  jwtExpiresIn: string;
  port: number;
  /** Address to listen on: loopback unless in production. */
  host: string;
  /** Where `/metrics` is served when not on `port`. */
  metricsPort: number | undefined;
  redisUrl: string | undefined;
  /** How often each socket is told its joined rooms' current versions (`room_versions`). */
  roomVersionsIntervalMs: number;
  /** Allowed browser origins; `"localhost"` allows any localhost origin (development). */
  corsOrigins: string[] | "localhost";
  logLevel: z.infer<typeof EnvSchema>["LOG_LEVEL"];
  /** The most members a group may hold. */
  maxGroupMembers: number;
  /** The web client's built files, served at `/` when the build exists (apps/web/dist). */
  webDir: string | undefined;
  /** Variables that were generated for this run rather than configured. */
  generated: string[];
}

/** Every problem of the configuration at once, one per variable: `NAME: what is wrong`. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

const MIN_SECRET_LENGTH = 32;

/** The secret, or a problem naming it; in development a missing one is generated (and said so). */
function secret(
  name: "JWT" | "COOKIE",
  value: string | undefined,
  production: boolean,
  generated: string[],
): { value?: string; problem?: string } {
  if (value) {
    if (production && value.length < MIN_SECRET_LENGTH) {
      return { problem: `${name}: must be at least ${MIN_SECRET_LENGTH} characters when NODE_ENV=production` };
    }
    return { value };
  }
  if (production) return { problem: `${name}: required when NODE_ENV=production` };
  generated.push(name);
  return { value: randomBytes(32).toString("hex") };
}

/** Where files live; a half-configured S3 is a problem of the configuration, added to `problems`. */
function storageOf(env: z.infer<typeof EnvSchema>, dataRoot: string, problems: string[]): StorageConfig {
  if (!env.S3_BUCKET) return { kind: "disk", dir: `${dataRoot}/files` };
  if (env.S3_ACCESS_KEY_ID && !env.S3_SECRET_ACCESS_KEY) {
    problems.push("S3_SECRET_ACCESS_KEY: required with S3_ACCESS_KEY_ID");
  }
  if (env.S3_SECRET_ACCESS_KEY && !env.S3_ACCESS_KEY_ID) {
    problems.push("S3_ACCESS_KEY_ID: required with S3_SECRET_ACCESS_KEY");
  }
  return {
    kind: "s3",
    bucket: env.S3_BUCKET,
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    credentials:
      env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}

/** Parses the environment; throws one ConfigError naming every variable at fault. */
export function parseEnv(source: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    // The production rules below depend on NODE_ENV and the secrets: report them too when they apply.
    const production = source.NODE_ENV === "production";
    const generated: string[] = [];
    for (const name of ["JWT", "COOKIE"] as const) {
      const { problem } = secret(name, source[name], production, generated);
      if (problem) problems.push(problem);
    }
    if (production && !source.DB_URL && !source.DATABASE_URL) problems.push(DB_URL_REQUIRED);
    throw new ConfigError([...new Set(problems)]);
  }
  const env = parsed.data;
  const production = env.NODE_ENV === "production";
  const dbUrl = env.DB_URL ?? env.DATABASE_URL;
  const problems: string[] = [];
  if (production && !dbUrl) problems.push(DB_URL_REQUIRED);
  const generated: string[] = [];
  const jwt = secret("JWT", env.JWT, production, generated);
  const cookie = secret("COOKIE", env.COOKIE, production, generated);
  for (const checked of [jwt, cookie]) if (checked.problem) problems.push(checked.problem);
  const dataRoot = env.DATA_DIR ?? `${ROOT_DIR}.data`;
  const storage = storageOf(env, dataRoot, problems);
  if (problems.length > 0 || !jwt.value || !cookie.value) throw new ConfigError(problems);
  const origins = env.CORS_ORIGIN?.split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return {
    nodeEnv: env.NODE_ENV,
    production,
    dbUrl,
    dbTimeoutMs: env.DB_TIMEOUT_MS,
    dataDir: `${dataRoot}/pglite`,
    storage,
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    jwtSecret: jwt.value,
    cookieSecret: cookie.value,
    jwtExpiresIn: env.JWT_EXPIRES_IN,
    port: env.PORT,
    host: env.HOST ?? (production ? "0.0.0.0" : "127.0.0.1"),
    metricsPort: env.METRICS_PORT,
    redisUrl: env.REDIS_URL,
    roomVersionsIntervalMs: env.ROOM_VERSIONS_INTERVAL_MS,
    corsOrigins: origins?.length ? origins : production ? [] : "localhost",
    logLevel: env.LOG_LEVEL,
    maxGroupMembers: env.MAX_GROUP_MEMBERS,
    webDir: existsSync(`${WEB_DIR}index.html`) ? WEB_DIR : undefined,
    generated,
  };
}

const DB_URL_REQUIRED = "DB_URL: required when NODE_ENV=production (the embedded database is for development)";

/** The process environment over the root `.env` file (the environment wins, as dotenv does). */
export function loadEnv(): Config {
  const file = `${ROOT_DIR}.env`;
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return parseEnv({ ...fromFile, ...process.env });
}
