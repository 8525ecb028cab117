import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

import { openDatabase } from "@causette/db";

import { createApp } from "./app.ts";
import { ConfigError, loadEnv, type Config } from "./env.ts";
import { createFileStore } from "./files/stores.ts";
import { metricsHandler } from "./http/metrics-endpoint.ts";
import { createLogger } from "./logger.ts";

function configOrExit(): Config {
  try {
    return loadEnv();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Every variable at fault, on one line: fixing them takes one round, not one start per variable.
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
}

const config = configOrExit();
const logger = createLogger(config.logLevel, { pretty: config.nodeEnv === "development" });
for (const name of config.generated) {
  logger.warn(`${name} is not set: using a random secret for this run (tokens will not survive a restart)`);
}

const db = await openDatabase({ url: config.dbUrl, dataDir: config.dataDir, timeoutMs: config.dbTimeoutMs }).catch(
  (error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Cannot open the database${config.dbUrl ? " at DB_URL" : ""}: ${reason}\n`);
    process.exit(1);
  },
);
if (db.embedded) logger.info({ dataDir: config.dataDir }, "no DB_URL: using the embedded PostgreSQL (PGlite)");

const store = await createFileStore(config.storage).catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(`Cannot open the file store (DATA_DIR): ${reason}\n`);
  process.exit(1);
});
const app = await createApp({ config, db, logger, store });
function listen(server: Server, port: number, variable: string, what: string) {
  server.on("error", (error: NodeJS.ErrnoException) => {
    process.stderr.write(
      `Cannot listen on ${config.host} port ${port} (HOST, ${variable}): ${error.code ?? error.message}\n`,
    );
    process.exit(1);
  });
  server.listen(port, config.host, () => {
    const { address, port: bound } = server.address() as AddressInfo;
    const shown =
      address === "0.0.0.0" || address === "::" ? "localhost" : address.includes(":") ? `[${address}]` : address;
    logger.info({ host: address, port: bound }, `${what} on http://${shown}:${bound}`);
  });
}

listen(app.server, config.port, "PORT", "Causette listening");
// Metrics on a port of their own, when asked: one a firewall can keep inside.
const metricsServer =
  config.metricsPort === undefined ? undefined : createServer(express().get("/metrics", metricsHandler(app.metrics)));
if (metricsServer) listen(metricsServer, config.metricsPort!, "METRICS_PORT", "Metrics served");

/** SIGTERM must end the process within 10 s: app.close() answers what it took within 8 s. */
const EXIT_DEADLINE_MS = 9_500;
const DB_CLOSE_MS = 1_000;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  const force = setTimeout(() => {
    logger.error("shutdown did not finish in time: exiting");
    process.exit(1);
  }, EXIT_DEADLINE_MS).unref();
  metricsServer?.close();
  await app.close();
  // Every answer is out; a database that does not answer its goodbye does not hold the exit.
  await Promise.race([db.close(), new Promise((resolve) => setTimeout(resolve, DB_CLOSE_MS).unref())]);
  clearTimeout(force);
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
