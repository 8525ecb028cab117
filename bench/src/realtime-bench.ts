/**
 * Real-time load generator: socket.io clients in rooms of two, each sending at jittered times; the
 * latency of a message runs from the sender's emit to its receipt by the other participant. The
 * same load runs against three servers, each in its own child process (see realtime-servers.ts):
 * Causette, a bare socket.io relay, and the tutorial's relay + one INSERT per message.
 *
 *   pnpm --filter @causette/bench bench:realtime [--smoke] [--pg postgres://postgres@127.0.0.1:5432] ...
 *
 * Every parameter has a flag (see `options` below); --smoke makes a run of a few seconds.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import type { Socket } from "socket.io-client";

import {
  benchToken,
  connectClient,
  freshDatabase,
  inBatches,
  sleep,
  startChild,
  type Child,
  type Kind,
} from "./children.ts";
import { machineLine, percentile } from "./stats.ts";

const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    pg: { type: "string", default: "postgres://postgres@127.0.0.1:5432" },
    database: { type: "string" },
    targets: { type: "string", default: "causette,causette-unordered,relay,naive" },
    rooms: { type: "string" },
    steady: { type: "string", description: "the steady load, messages/s" },
    ramp: { type: "string", description: "comma-separated loads, messages/s, until saturation" },
    warmup: { type: "string" },
    duration: { type: "string" },
    idle: { type: "string", description: "idle authenticated sockets on one node (0: skip)" },
    pool: { type: "string", default: "10" },
  },
});

const smoke = flags.smoke;
const cfg = {
  database: flags.database ?? (smoke ? "causette_rt_bench_smoke" : "causette_rt_bench"),
  targets: flags.targets.split(",").map((t) => t.trim()) as Kind[],
  rooms: Number(flags.rooms ?? (smoke ? 10 : 500)),
  steady: Number(flags.steady ?? (smoke ? 40 : 1000)),
  ramp: (flags.ramp ?? (smoke ? "60" : "1500,2000,3000,4000,5000,6000,8000,10000")).split(",").map(Number),
  warmupS: Number(flags.warmup ?? (smoke ? 0.5 : 3)),
  durationS: Number(flags.duration ?? (smoke ? 1.5 : 10)),
  idle: Number(flags.idle ?? (smoke ? 100 : 10_000)),
  pool: Number(flags.pool),
};

const SATURATED_P99_MS = 250;
const secret = randomBytes(32).toString("hex");
const serverUrl = new URL(flags.pg);
serverUrl.pathname = "/postgres";
const dbUrl = new URL(flags.pg);
dbUrl.pathname = `/${cfg.database}`;

const log = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Database: a fresh one per run, migrated, with users and rooms written directly (no argon2).

async function prepareDatabase(users: number) {
  const client = await freshDatabase(serverUrl, dbUrl, users);
  // Room k is between users 2k-1 and 2k.
  await client.query(`INSERT INTO rooms (user_low, user_high) SELECT 2 * g - 1, 2 * g FROM generate_series(1, $1) g`, [
    cfg.rooms,
  ]);
  await client.query(
    `INSERT INTO room_members (room_id, user_id) SELECT id, user_low FROM rooms UNION ALL SELECT id, user_high FROM rooms`,
  );
  // The tutorial's table for the naive baseline.
  await client.query(
    `CREATE TABLE naive_messages (id bigserial PRIMARY KEY, room_id int NOT NULL, sender_id int NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await client.end();
}

async function countStored(kind: Kind): Promise<number> {
  if (kind === "relay") return Number.NaN;
  const client = new pg.Client({ connectionString: dbUrl.toString() });
  await client.connect();
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${kind === "naive" ? "naive_messages" : "messages"}`,
  );
  await client.end();
  return rows[0]!.n;
}

/**
 * CPU seconds used so far by every PostgreSQL process on this machine (Linux /proc; NaN elsewhere).
 * The database runs on the same cores, so its share explains what the server's own CPU does not.
 */
function postgresCpuS(): number {
  try {
    let ticks = 0;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== "postgres") continue;
      const fields = stat.slice(close + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;

// As the server signs them: a token id (log-out revokes by it) and the user's token generation.
const tokenOf = (userId: number) => benchToken(secret, userId);

const serverOptions = () => ({ dbUrl: dbUrl.toString(), secret, pool: cfg.pool });
type Client = Socket;
const connect = (url: string, userId: number, kind: Kind): Promise<Client> =>
  connectClient(url, kind.startsWith("causette") ? tokenOf(userId) : null);

interface Member {
  socket: Client;
  userId: number;
  roomId: number;
}

async function connectRooms(url: string, kind: Kind): Promise<Member[]> {
  const members = await inBatches(cfg.rooms * 2, 100, async (i) => {
    const roomId = Math.floor(i / 2) + 1;
    const userId = i + 1;
    const socket = await connect(url, userId, kind);
    const ack = (await socket.timeout(10_000).emitWithAck("join_room", roomId)) as { ok: boolean };
    if (!ack.ok) throw new Error(`join_room ${roomId} refused: ${JSON.stringify(ack)}`);
    return { socket, userId, roomId };
  });
  return members;
}

// ---------------------------------------------------------------------------------------------
// One load level.

interface LevelResult {
  kind: Kind;
  label: string;
  offered: number;
  inPerS: number;
  deliveriesPerS: number;
  delivered: number;
  sent: number;
  errors: number;
  p50: number;
  p99: number;
  cpuPct: number;
  rssMb: number;
  eldP99: number;
  genCpuPct: number;
  pgCpuPct: number;
}

let sequence = 0;

async function runLevel(
  kind: Kind,
  child: Child,
  members: Member[],
  rate: number,
  label: string,
): Promise<LevelResult> {
  const sentAt = new Map<string, { at: number; measured: boolean }>();
  const latencies: number[] = [];
  let delivered = 0;
  let sent = 0;
  let errors = 0;
  let measuring = false;
  let running = true;

  const onReceive = (message: { message: string }) => {
    const entry = sentAt.get(message.message);
    if (!entry) return;
    sentAt.delete(message.message);
    if (entry.measured) {
      delivered += 1;
      latencies.push(performance.now() - entry.at);
    }
  };
  for (const m of members) m.socket.on("receive_message", onReceive);

  // Each client sends on its own jittered clock: mean interval clients/rate, uniform ±50%.
  const meanMs = (members.length / rate) * 1000;
  const timers = new Set<NodeJS.Timeout>();
  const schedule = (m: Member, first: boolean) => {
    const delay = first ? Math.random() * meanMs : meanMs * (0.5 + Math.random());
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!running) return;
      const text = `b${(sequence += 1)}`;
      sentAt.set(text, { at: performance.now(), measured: measuring });
      if (measuring) sent += 1;
      const payload = kind.startsWith("causette")
        ? { roomId: m.roomId, message: text }
        : { roomId: m.roomId, message: text, sender: m.userId };
      const counted = measuring;
      m.socket.timeout(30_000).emit("send_message", payload, (err: Error | null, ack?: { ok: boolean }) => {
        if (err || !ack?.ok) {
          if (counted) errors += 1;
          sentAt.delete(text);
        }
      });
      schedule(m, false);
    }, delay);
    timers.add(timer);
  };

  for (const m of members) schedule(m, true);
  await sleep(cfg.warmupS * 1000);
  await child.ask({ type: "mark" }, "marked");
  const genCpu = process.cpuUsage();
  const pgCpu = postgresCpuS();
  const genStart = performance.now();
  measuring = true;
  await sleep(cfg.durationS * 1000);
  measuring = false;
  const stats = await child.ask({ type: "stats" }, "stats");
  const pgPct = ((postgresCpuS() - pgCpu) / ((performance.now() - genStart) / 1000)) * 100;
  const genUsage = process.cpuUsage(genCpu);
  const genPct = ((genUsage.user + genUsage.system) / 1000 / (performance.now() - genStart)) * 100;
  running = false;
  for (const timer of timers) clearTimeout(timer);
  // Let the window's last messages arrive (or count as lost).
  const drainUntil = performance.now() + 3000;
  while (performance.now() < drainUntil && [...sentAt.values()].some((e) => e.measured)) await sleep(50);
  for (const m of members) m.socket.off("receive_message", onReceive);

  return {
    kind,
    label,
    offered: rate,
    inPerS: sent / cfg.durationS,
    deliveriesPerS: delivered / cfg.durationS,
    delivered,
    sent,
    errors,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPct: (stats.cpuMs / stats.wallMs) * 100,
    rssMb: stats.rssMb,
    eldP99: stats.eldP99Ms,
    genCpuPct: genPct,
    pgCpuPct: pgPct,
  };
}

const saturated = (r: LevelResult) => !(r.p99 <= SATURATED_P99_MS) || r.delivered < r.sent * 0.99 || r.errors > 0;

const HEADER =
  "| server | load | in msg/s | deliveries/s | p50 | p99 | errors | server CPU | server RSS | loop lag p99 | PostgreSQL CPU | generator CPU |\n" +
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
const row = (r: LevelResult) =>
  `| ${r.kind} | ${r.label} | ${r.inPerS.toFixed(0)} | ${r.deliveriesPerS.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.errors} | ${r.cpuPct.toFixed(0)}% | ${r.rssMb.toFixed(0)} MB | ${r.eldP99.toFixed(1)} ms | ${r.pgCpuPct.toFixed(0)}% | ${r.genCpuPct.toFixed(0)}% |`;

// ---------------------------------------------------------------------------------------------

async function loadTarget(kind: Kind): Promise<{ steady: LevelResult; ramp: LevelResult[]; max: number }> {
  progress(`${kind}: starting the server`);
  const child = await startChild(kind, serverOptions());
  const before = await countStored(kind);
  progress(`${kind}: connecting ${cfg.rooms * 2} sockets`);
  const members = await connectRooms(child.url, kind);
  progress(`${kind}: load`);
  // A first pass at the steady load warms up the JIT, the pool and PostgreSQL's caches; printed, not counted.
  log(row(await runLevel(kind, child, members, cfg.steady, `warm-up ${cfg.steady}/s`)));
  const steady = await runLevel(kind, child, members, cfg.steady, `steady ${cfg.steady}/s`);
  log(row(steady));
  const ramp: LevelResult[] = [];
  let max = saturated(steady) ? 0 : steady.inPerS;
  for (const rate of cfg.ramp) {
    const result = await runLevel(kind, child, members, rate, `ramp ${rate}/s`);
    ramp.push(result);
    log(row(saturated(result) ? { ...result, label: `${result.label}, saturated` } : result));
    if (saturated(result)) break;
    max = Math.max(max, result.inPerS);
  }
  for (const m of members) m.socket.disconnect();
  await sleep(500);
  const stored = (await countStored(kind)) - before;
  if (kind !== "relay") log(`${kind}: ${stored} messages stored in PostgreSQL over the run`);
  await child.stop();
  return { steady, ramp, max };
}

async function idleSockets(count: number) {
  const child = await startChild("causette", serverOptions());
  const base = await child.ask({ type: "gc" }, "gc");
  let errors = 0;
  const eld = monitorEventLoopDelay({ resolution: 10 });
  const started = performance.now();
  const sockets = await inBatches(count, 250, (i) =>
    connect(child.url, i + 1, "causette").catch(() => {
      errors += 1;
      return null;
    }),
  );
  const connectS = (performance.now() - started) / 1000;
  await sleep(2000);
  eld.enable();
  await child.ask({ type: "mark" }, "marked");
  await sleep(3000);
  const stats = await child.ask({ type: "stats" }, "stats");
  const loaded = await child.ask({ type: "gc" }, "gc");
  const connected = sockets.filter((s) => s?.connected).length;
  const perSocketKb = (loaded.rssBytes - base.rssBytes) / 1024 / Math.max(1, connected);
  log(
    `idle: ${connected}/${count} authenticated sockets connected in ${connectS.toFixed(1)} s, ${errors} errors; ` +
      `server RSS ${(base.rssBytes / 2 ** 20).toFixed(0)} MB -> ${(loaded.rssBytes / 2 ** 20).toFixed(0)} MB = ${perSocketKb.toFixed(1)} KB per socket; ` +
      `idle CPU ${((stats.cpuMs / stats.wallMs) * 100).toFixed(1)}%, loop lag p99 ${stats.eldP99Ms.toFixed(1)} ms; server sees ${stats.sockets} sockets`,
  );
  for (const s of sockets) s?.disconnect();
  await child.stop();
  return { connected, errors, perSocketKb };
}

log(`# realtime bench${smoke ? " (SMOKE)" : ""}: ${new Date().toISOString()}`);
log(machineLine());
log(
  `rooms ${cfg.rooms} of 2 (${cfg.rooms * 2} sockets), steady ${cfg.steady} msg/s, ramp ${cfg.ramp.join(", ")} msg/s, ` +
    `warmup ${cfg.warmupS} s + ${cfg.durationS} s measured per level, saturation when p99 > ${SATURATED_P99_MS} ms or deliveries < 99%; ` +
    `database ${cfg.database} on ${serverUrl.host}, pool ${cfg.pool}`,
);
await prepareDatabase(Math.max(cfg.rooms * 2, cfg.idle));
log("");
log(HEADER);
const results = new Map<Kind, Awaited<ReturnType<typeof loadTarget>>>();
for (const kind of cfg.targets) results.set(kind, await loadTarget(kind));
log("");
for (const [kind, r] of results) {
  const top = r.ramp.at(-1);
  const note = top && !saturated(top) ? " (the top of the ramp: not saturated)" : "";
  log(`${kind}: highest load sustained (p99 <= ${SATURATED_P99_MS} ms, no loss): ${r.max.toFixed(0)} msg/s${note}`);
}
if (cfg.idle > 0) await idleSockets(cfg.idle);
process.exit(0);
