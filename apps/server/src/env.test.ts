import { readFileSync } from "node:fs";
import { parse as parseDotenv } from "dotenv";
import { describe, expect, it } from "vitest";

import { ConfigError, parseEnv, ROOT_DIR } from "./env.ts";

const strong = "s".repeat(32);

describe("parseEnv", () => {
  it("starts a bare development machine with defaults and generated secrets", () => {
    const config = parseEnv({});
    expect(config).toMatchObject({
      nodeEnv: "development",
      port: 5050,
      host: "127.0.0.1",
      metricsPort: undefined,
      dbUrl: undefined,
      jwtExpiresIn: "7d",
      corsOrigins: "localhost",
      maxGroupMembers: 10_000,
    });
    expect(config.generated).toEqual(["JWT", "COOKIE"]);
    expect(config.jwtSecret).not.toBe(config.cookieSecret);
    expect(config.jwtSecret).toHaveLength(64);
  });

  it("takes the seed's variables, and DATABASE_URL when DB_URL is unset", () => {
    const config = parseEnv({
      DB_URL: "postgres://u:p@localhost:5432/chat",
      JWT: "une_clé_secrète",
      COOKIE: "une_autre_clé_secrète",
      NODE_ENV: "development",
      PORT: "5051",
    });
    expect(config).toMatchObject({
      dbUrl: "postgres://u:p@localhost:5432/chat",
      jwtSecret: "une_clé_secrète",
      cookieSecret: "une_autre_clé_secrète",
      port: 5051,
      generated: [],
    });
    expect(parseEnv({ DATABASE_URL: "postgresql://localhost/x" }).dbUrl).toBe("postgresql://localhost/x");
  });

  it.each([
    [{ NODE_ENV: "production", DB_URL: "postgres://localhost/x", COOKIE: strong }, /^JWT: required/],
    [{ NODE_ENV: "production", DB_URL: "postgres://localhost/x", JWT: strong }, /^COOKIE: required/],
    [
      { NODE_ENV: "production", DB_URL: "postgres://localhost/x", JWT: "short", COOKIE: strong },
      /^JWT: must be at least 32/,
    ],
    [{ NODE_ENV: "production", JWT: strong, COOKIE: strong }, /^DB_URL: required/],
    [{ PORT: "eighty" }, /^PORT: /],
    [{ PORT: "70000" }, /^PORT: /],
    [{ NODE_ENV: "staging" }, /^NODE_ENV: /],
    [{ DB_URL: "mysql://localhost/x" }, /^DB_URL: must be a postgres:\/\/ URL/],
    [{ REDIS_URL: "http://localhost" }, /^REDIS_URL: /],
    [{ JWT_EXPIRES_IN: "forever" }, /^JWT_EXPIRES_IN: /],
    [{ MAX_UPLOAD_BYTES: "lots" }, /^MAX_UPLOAD_BYTES: /],
    [{ MAX_UPLOAD_BYTES: "0" }, /^MAX_UPLOAD_BYTES: /],
    [{ S3_BUCKET: "ab" }, /^S3_BUCKET: /],
    [{ S3_BUCKET: "files", S3_ENDPOINT: "ftp://x" }, /^S3_ENDPOINT: /],
    [{ S3_BUCKET: "files", S3_ACCESS_KEY_ID: "id" }, /^S3_SECRET_ACCESS_KEY: required/],
    [{ HOST: " " }, /^HOST: /],
    [{ METRICS_PORT: "web" }, /^METRICS_PORT: /],
    [{ MAX_GROUP_MEMBERS: "lots" }, /^MAX_GROUP_MEMBERS: /],
    [{ MAX_GROUP_MEMBERS: "1" }, /^MAX_GROUP_MEMBERS: /],
  ])("refuses %j with a message naming the variable", (env, message) => {
    expect(() => parseEnv(env)).toThrow(ConfigError);
    expect(() => parseEnv(env)).toThrow(message);
  });

  it("reads CORS_ORIGIN as a list, and allows no origin in production by default", () => {
    expect(parseEnv({ CORS_ORIGIN: "https://a.example, https://b.example" }).corsOrigins).toEqual([
      "https://a.example",
      "https://b.example",
    ]);
    expect(
      parseEnv({ NODE_ENV: "production", DB_URL: "postgres://h/x", JWT: strong, COOKIE: strong }).corsOrigins,
    ).toEqual([]);
  });

  it("keeps files on disk under DATA_DIR by default, with a 25 MB upload limit", () => {
    const config = parseEnv({ DATA_DIR: "/srv/causette" });
    expect(config.storage).toEqual({ kind: "disk", dir: "/srv/causette/files" });
    expect(config.dataDir).toBe("/srv/causette/pglite");
    expect(config.maxUploadBytes).toBe(25 * 1024 * 1024);
    expect(parseEnv({ MAX_UPLOAD_BYTES: "1048576" }).maxUploadBytes).toBe(1048576);
  });

  it("uses an S3-compatible bucket when S3_BUCKET is set", () => {
    expect(
      parseEnv({
        S3_BUCKET: "causette-files",
        S3_ENDPOINT: "http://127.0.0.1:9000",
        S3_REGION: "eu-west-3",
        S3_ACCESS_KEY_ID: "id",
        S3_SECRET_ACCESS_KEY: "secret",
      }).storage,
    ).toEqual({
      kind: "s3",
      bucket: "causette-files",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-3",
      credentials: { accessKeyId: "id", secretAccessKey: "secret" },
    });
    expect(parseEnv({ S3_BUCKET: "causette-files" }).storage).toMatchObject({
      region: "us-east-1",
      credentials: undefined,
    });
  });

  it("listens on loopback unless in production, where every interface is the default", () => {
    const production = { NODE_ENV: "production", DB_URL: "postgres://h/x", JWT: strong, COOKIE: strong };
    expect(parseEnv({ NODE_ENV: "test" }).host).toBe("127.0.0.1");
    expect(parseEnv(production).host).toBe("0.0.0.0");
    expect(parseEnv({ ...production, HOST: "10.0.0.5" }).host).toBe("10.0.0.5");
    expect(parseEnv({ METRICS_PORT: "9464" }).metricsPort).toBe(9464);
  });
});

describe("every problem at once", () => {
  it("names each missing or invalid variable in one error", () => {
    let error: unknown;
    try {
      parseEnv({ NODE_ENV: "production", PORT: "eighty", JWT_EXPIRES_IN: "forever" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.split(":")[0]);
    expect(problems.sort()).toEqual(["COOKIE", "DB_URL", "JWT", "JWT_EXPIRES_IN", "PORT"]);
  });

  it("names DB_URL, JWT and COOKIE together in production, not one per start", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(
      /^DB_URL: required.*; JWT: required.*; COOKIE: required/,
    );
  });
});

it("a copy of .env.example keeps the quick start: the embedded database, generated secrets", () => {
  const config = parseEnv(parseDotenv(readFileSync(`${ROOT_DIR}.env.example`)));
  expect(config.dbUrl).toBeUndefined();
  expect(config.nodeEnv).toBe("development");
});
