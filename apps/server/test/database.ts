import { randomBytes } from "node:crypto";
import pg from "pg";

import { loadMigrations, migrate, openDatabase, startEmbeddedPostgres, type Database } from "@causette/db";

/** The template every test database is copied from, named after the migrations it holds. */
export function templateName(): string {
  const checksum = loadMigrations()
    .map((m) => m.checksum.slice(0, 8))
    .join("");
  return `causette_tpl_${checksum.slice(0, 40)}`;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the migrated template once per run (kept between runs while the migrations are unchanged). */
export async function ensureTemplate(serverUrl: string): Promise<void> {
  const name = templateName();
  const exists = await admin(
    serverUrl,
    async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount,
  );
  if (exists) return;
  const building = `${name}_${randomBytes(3).toString("hex")}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${building}"`));
  await migrate(withDatabase(serverUrl, building));
  // Renaming makes the finished template appear atomically to concurrent runs.
  await admin(serverUrl, async (c) => {
    try {
      await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
    } catch {
      await c.query(`DROP DATABASE IF EXISTS "${building}"`);
    }
  });
}

export interface TestDatabase extends Database {
  /** Drops the database (on PostgreSQL) or stops the embedded one. */
  destroy(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a copy of the template on the PostgreSQL at
 * `serverUrl`, or a new in-memory embedded PostgreSQL when there is none.
 */
export async function createTestDatabase(serverUrl: string | undefined): Promise<TestDatabase> {
  if (!serverUrl) {
    const db = await openDatabase({});
    return { ...db, destroy: () => db.close() };
  }
  const name = `causette_t_${randomBytes(6).toString("hex")}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateName()}"`));
  const db = await openDatabase({ url: withDatabase(serverUrl, name), maxPoolSize: 20 });
  return {
    ...db,
    async destroy() {
      await db.close();
      await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A new, empty database on the PostgreSQL at `serverUrl` (for a server that migrates it itself). */
export async function createEmptyDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `causette_e_${randomBytes(6).toString("hex")}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      await admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

export { startEmbeddedPostgres, withDatabase };
