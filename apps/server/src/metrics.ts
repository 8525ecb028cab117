import { monitorEventLoopDelay } from "node:perf_hooks";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import { clientEventSchemas, serverEventSchemas } from "@causette/contracts";
import type { Database } from "@causette/db";

/** A socket.io EVENT packet as written to the wire: type 2, optional ack id, then `["name",`. */
const EVENT_PACKET = /^2\d*\["([^"]+)"/;

const clientEvents = new Set(Object.keys(clientEventSchemas));
const serverEvents = new Set(Object.keys(serverEventSchemas));

/** A client names its events: anything outside the contract counts under one label, so a client cannot grow the series. */
const eventLabel = (known: Set<string>, event: string) => (known.has(event) ? event : "other");

/**
 * The node's Prometheus metrics: Node's default process metrics, plus Causette's own, all in one
 * registry per app (so two apps in one process, as in tests, count apart).
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: "causette_http_request_duration_seconds",
    help: "HTTP requests by method, route (the route pattern, or tRPC procedure) and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const socketConnections = new Gauge({
    name: "causette_socket_connections",
    help: "socket.io connections open on this node",
    registers,
  });
  const eventsIn = new Counter({
    name: "causette_socket_events_received_total",
    help: "socket.io events received from clients, by event",
    labelNames: ["event"] as const,
    registers,
  });
  const eventsOut = new Counter({
    name: "causette_socket_events_sent_total",
    help: "socket.io events sent to clients of this node, one per receiving socket, by event",
    labelNames: ["event"] as const,
    registers,
  });
  const sendsStored = new Counter({
    name: "causette_messages_stored_total",
    help: "Messages stored by sends (a retried send that found its message stored counts once)",
    registers,
  });
  const sendBatchSize = new Histogram({
    name: "causette_send_batch_size",
    help: "Sends written together in one statement (group commit)",
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers,
  });
  const queryDuration = new Histogram({
    name: "causette_db_query_duration_seconds",
    help: "Database queries by outcome (ok, error)",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers,
  });

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  new Gauge({
    name: "causette_event_loop_delay_seconds",
    help: "Event-loop delay since the previous scrape, by quantile (0.5, 0.99, 1 for the maximum)",
    labelNames: ["quantile"] as const,
    registers,
    collect() {
      for (const q of [0.5, 0.99]) this.set({ quantile: String(q) }, loopDelay.percentile(q * 100) / 1e9);
      this.set({ quantile: "1" }, loopDelay.max / 1e9);
      loopDelay.reset();
    },
  });

  let pool: Database["pool"] | undefined;
  new Gauge({
    name: "causette_db_pool_connections",
    help: "Database pool connections by state (acquired, idle), and clients waiting for one (waiting)",
    labelNames: ["state"] as const,
    registers,
    collect() {
      if (!pool) return;
      const state = pool.state();
      this.set({ state: "acquired" }, state.acquiredConnections);
      this.set({ state: "idle" }, state.idleConnections);
      this.set({ state: "waiting" }, state.waitingClients);
    },
  });

  return {
    registry,
    httpRequest(method: string, route: string, status: number, seconds: number) {
      httpDuration.observe({ method, route, status: String(status) }, seconds);
    },
    socketOpened: () => socketConnections.inc(),
    socketClosed: () => socketConnections.dec(),
    eventReceived: (event: string) => eventsIn.inc({ event: eventLabel(clientEvents, event) }),
    /** An engine.io packet written to one client: counted when it carries a socket.io event. */
    packetSent(data: unknown) {
      const event = typeof data === "string" ? EVENT_PACKET.exec(data.slice(0, 64))?.[1] : undefined;
      if (event !== undefined) eventsOut.inc({ event: eventLabel(serverEvents, event) });
    },
    sendBatch(size: number, stored: number) {
      sendBatchSize.observe(size);
      sendsStored.inc(stored);
    },
    query: (seconds: number, ok: boolean) => queryDuration.observe({ outcome: ok ? "ok" : "error" }, seconds),
    /** Where the gauges read at scrape time come from. */
    watch(sources: { pool: Database["pool"]; redisState(): "up" | "down" | undefined }) {
      pool = sources.pool;
      if (sources.redisState() === undefined) return;
      new Gauge({
        name: "causette_redis_up",
        help: "1 while the Redis clients that share events are connected, 0 while not (absent without REDIS_URL)",
        registers,
        collect() {
          this.set(sources.redisState() === "up" ? 1 : 0);
        },
      });
    },
    close: () => loopDelay.disable(),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
