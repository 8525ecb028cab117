import { loadEnv } from "../src/env.ts";
import { ensureTemplate } from "./database.ts";

export default async function setup() {
  const { dbUrl, redisUrl } = loadEnv();
  process.stdout.write(
    `integration tests: ${dbUrl ? "PostgreSQL at DB_URL" : "embedded PostgreSQL (PGlite), DB_URL is unset"}; ` +
      `${redisUrl ? "Redis at REDIS_URL" : "REDIS_URL is unset, so the Redis tests will be skipped"}\n`,
  );
  if (dbUrl) await ensureTemplate(dbUrl);
}
