import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { describe, expect, it } from "vitest";

import {
  createDatabasePool,
  findUserByEmail,
  loadMigrations,
  migrate,
  MigrationError,
  startEmbeddedPostgres,
} from "@causette/db";

import { ROOT_DIR } from "../src/env.ts";
import { withDatabase } from "./database.ts";
import { env } from "./harness.ts";

/** A new empty database: on the PostgreSQL at DB_URL, or an embedded one. */
async function emptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!env.dbUrl) {
    const embedded = await startEmbeddedPostgres();
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const serverUrl = env.dbUrl;
  const name = `causette_m_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs `test` on a new empty database, dropped afterwards whatever happens. */
async function withEmptyDatabase(test: (url: string) => Promise<void>): Promise<void> {
  const db = await emptyDatabase();
  try {
    await test(db.url);
  } finally {
    await db.drop();
  }
}

async function appliedVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version")).rows.map(
      (r) => r.version,
    );
  } finally {
    await client.end();
  }
}

describe("migrations", () => {
  it("002 keeps accounts made before it: their email key is filled, and they log in under any case", () =>
    withEmptyDatabase(async (url) => {
      const all = loadMigrations();
      await migrate(url, all.slice(0, 1));
      // One connection at a time: the embedded database serves a single session.
      const sqlOnce = async (text: string) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          return (await client.query(text)).rows;
        } finally {
          await client.end();
        }
      };
      await sqlOnce(
        "INSERT INTO users (username, email, password_hash) VALUES ('old_ana', 'Old.Ana@Example.com', 'x')",
      );
      await migrate(url, all);
      expect(await sqlOnce("SELECT email_key, token_generation FROM users")).toEqual([
        { email_key: "old.ana@example.com", token_generation: 0 },
      ]);
      const pool = await createDatabasePool(url, { maxPoolSize: 1 });
      try {
        expect((await findUserByEmail(pool, "OLD.ANA@example.COM"))?.username).toBe("old_ana");
      } finally {
        await pool.end();
      }
    }));

  it("apply once, in order, and a second run applies nothing", () =>
    withEmptyDatabase(async (url) => {
      const all = loadMigrations().map((m) => m.version);
      expect(await migrate(url)).toEqual(all);
      expect(await migrate(url)).toEqual([]);
      expect(await appliedVersions(url)).toEqual(all);
    }));

  it.skipIf(!env.dbUrl)(
    "two runners starting together on an empty database both succeed, each migration applied once",
    () =>
      withEmptyDatabase(async (url) => {
        const [a, b] = await Promise.all([migrate(url), migrate(url)]);
        const all = loadMigrations().map((m) => m.version);
        expect([...a, ...b].sort((x, y) => x - y)).toEqual(all);
        expect(await appliedVersions(url)).toEqual(all);
      }),
  );

  it("refuses a migration edited after it was applied", () =>
    withEmptyDatabase(async (url) => {
      const migrations = [{ version: 1, name: "first", sql: "CREATE TABLE t (id int)", checksum: "aaa" }];
      await migrate(url, migrations);
      const edited = [{ ...migrations[0]!, sql: "CREATE TABLE t (id bigint)", checksum: "bbb" }];
      await expect(migrate(url, edited)).rejects.toThrow(MigrationError);
      await expect(migrate(url, edited)).rejects.toThrow(/1_first was edited after it was applied/);
    }));

  it("rolls back a failing migration entirely", () =>
    withEmptyDatabase(async (url) => {
      const broken = [
        { version: 1, name: "broken", sql: "CREATE TABLE ok_table (id int); SELECT nope FROM missing", checksum: "x" },
      ];
      await expect(migrate(url, broken)).rejects.toThrow(/missing/);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const tables = await client.query("SELECT 1 FROM pg_tables WHERE tablename = 'ok_table'");
      await client.end();
      expect(tables.rowCount).toBe(0);
      expect(await appliedVersions(url)).toEqual([]);
    }));
});

const serverDir = fileURLToPath(new URL("..", import.meta.url));

/** Runs the server's entry point with the given variables (and nothing from a root .env). */
function runMain(vars: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      "env",
      [
        "-u",
        "JWT",
        "-u",
        "COOKIE",
        "-u",
        "DB_URL",
        "-u",
        "DATABASE_URL",
        ...vars,
        process.execPath,
        "--import",
        "tsx",
        "--conditions=@causette/source",
        "src/main.ts",
      ],
      {
        cwd: serverDir,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe.skipIf(existsSync(`${ROOT_DIR}.env`))(
  "start-up configuration (skipped when a root .env would supply variables)",
  () => {
    it("NODE_ENV=production without JWT exits with one line naming JWT", async () => {
      const { code, stderr } = await runMain([
        "NODE_ENV=production",
        "DB_URL=postgres://postgres@127.0.0.1:5432/test",
        "COOKIE=" + "c".repeat(40),
      ]);
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toMatch(/^Invalid configuration: JWT: required when NODE_ENV=production/);
    });

    it("names every variable at fault in that one line: DB_URL, JWT and COOKIE in production", async () => {
      const { code, stderr } = await runMain(["NODE_ENV=production", "PORT=eighty"]);
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      for (const name of ["DB_URL", "JWT", "COOKIE", "PORT"]) expect(stderr).toContain(`${name}: `);
      expect(stderr).not.toMatch(/at .*\.ts:\d+/);
    });

    it("a bad PORT exits with one line naming PORT", async () => {
      const { code, stderr } = await runMain(["PORT=not-a-port"]);
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toEqual([expect.stringMatching(/^Invalid configuration: PORT: /)]);
    });
  },
);
