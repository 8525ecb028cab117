import "./polyfill.ts";

export { openDatabase, type Database, type DatabaseOptions } from "./database.ts";
export { migrate, loadMigrations, MigrationError, type Migration } from "./migrate.ts";
export { createDatabasePool, DEFAULT_DB_TIMEOUT_MS, type QueryObserver } from "./pool.ts";
export { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded.ts";
export { ConflictError, DatabaseUnavailableError } from "./errors.ts";
export { sql, type DatabasePool, type CommonQueryMethods } from "./slonik.ts";
export * from "./queries/users.ts";
export * from "./queries/rooms.ts";
export * from "./queries/messages.ts";
export * from "./queries/members.ts";
export * from "./queries/receipts.ts";
export * from "./queries/files.ts";
