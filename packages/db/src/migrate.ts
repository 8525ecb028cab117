import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";

const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));
// Any fixed number shared by every Causette process: the key of the migration lock.
const MIGRATION_LOCK_KEY = 7_215_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file);
      if (!match) throw new MigrationError(`migration file ${file} is not named NNN_name.sql`);
      const text = readFileSync(`${dir}/${file}`, "utf8");
      return {
        version: Number(match[1]),
        name: match[2] ?? file,
        sql: text,
        checksum: createHash("sha256").update(text).digest("hex"),
      };
    });
}

/**
 * Applies pending migrations in order, each in its own transaction, under a session advisory lock
 * so that processes starting together take turns. An applied migration whose file has changed
 * since is refused: the schema it describes is not the one in the database.
 *
 * It uses a plain pg client rather than the slonik pool because a migration file holds many
 * statements, which only PostgreSQL's simple query protocol accepts in one round trip.
 */
export async function migrate(url: string, migrations = loadMigrations()): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number; checksum: string }>(
      "SELECT version, checksum FROM schema_migrations",
    );
    const applied = new Map(rows.map((r) => [r.version, r.checksum]));
    const done: number[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.version);
      if (checksum === migration.checksum) continue;
      if (checksum !== undefined) {
        throw new MigrationError(
          `migration ${migration.version}_${migration.name} was edited after it was applied (checksum mismatch): restore it and add a new migration instead`,
        );
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    // Ending the session releases the advisory lock too, even if the unlock is never reached.
    await client.end();
  }
}
