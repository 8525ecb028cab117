/**
 * Group rooms under load, each figure beside a baseline measured in the same run:
 *
 *   fan-out    one group of `members` sockets (one node), messages sent through the app at rising
 *              rates: the latency from a send to its arrival at the LAST receiver, and deliveries
 *              per second; the baseline is a bare socket.io server broadcasting the same payloads
 *              to the same sockets (realtime-servers.ts `relay`).
 *   mark-read  `POST /api/room/:id/read` by 10 concurrent members of that group, each moving its read
 *              position one message at a time; the baseline is the same 10 readers, each in a room of
 *              two of their own.
 *
 *   pnpm --filter @causette/bench bench:group [--smoke] [--pg postgres://postgres@127.0.0.1:5432] ...
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
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
    members: { type: "string" },
    rates: { type: "string", description: "comma-separated send rates, messages/s, until saturation" },
    duration: { type: "string" },
    reads: { type: "string", description: "mark-read calls per reader" },
    pool: { type: "string", default: "10" },
  },
});

const smoke = flags.smoke;
const cfg = {
  database: flags.database ?? (smoke ? "causette_group_bench_smoke" : "causette_group_bench"),
  members: Number(flags.members ?? (smoke ? 50 : 1000)),
  rates: (flags.rates ?? (smoke ? "20" : "20,50,100,200,400")).split(",").map(Number),
  durationS: Number(flags.duration ?? (smoke ? 1.5 : 10)),
  reads: Number(flags.reads ?? (smoke ? 10 : 100)),
  readers: 10,
  pool: Number(flags.pool),
};
const GROUP = 1;
/** Causette takes at most 20 sends a second per socket: senders share the load below that. */
const PER_SENDER = 15;
const SATURATED_P99_MS = 250;

const secret = randomBytes(32).toString("hex");
const serverUrl = new URL(flags.pg);
serverUrl.pathname = "/postgres";
const dbUrl = new URL(flags.pg);
dbUrl.pathname = `/${cfg.database}`;
const log = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  .. ${line}\n`);
const tokenOf = (userId: number) => benchToken(secret, userId);

/** Users 1..members; room 1 the group of all of them (user 1 owns it), then a room of two of user 1 with each reader. */
async function prepareDatabase() {
  const client = await freshDatabase(serverUrl, dbUrl, cfg.members);
  await client.query(`INSERT INTO rooms (kind, name, member_count) VALUES ('group', 'bench', $1)`, [cfg.members]);
  await client.query(
    `INSERT INTO room_members (room_id, user_id, role)
     SELECT ${GROUP}, g, CASE WHEN g = 1 THEN 'owner' ELSE 'member' END FROM generate_series(1, $1) g`,
    [cfg.members],
  );
  await client.query(`INSERT INTO rooms (user_low, user_high) SELECT 1, u FROM unnest($1::bigint[]) u`, [readers]);
  await client.query(
    `INSERT INTO room_members (room_id, user_id)
     SELECT id, user_low FROM rooms WHERE kind = 'direct' UNION ALL SELECT id, user_high FROM rooms WHERE kind = 'direct'`,
  );
  await client.end();
}

interface Level {
  kind: Kind;
  rate: number;
  sent: number;
  complete: number;
  deliveriesPerS: number;
  p50: number;
  p99: number;
  cpuPct: number;
  genCpuPct: number;
}

let sequence = 0;

/** One send rate for `durationS`: each message's latency is until its last receiver got it. */
async function runLevel(kind: Kind, child: Child, sockets: Socket[], rate: number): Promise<Level> {
  const receivers = sockets.length - 1;
  const pending = new Map<string, { at: number; left: number }>();
  const latencies: number[] = [];
  let deliveries = 0;
  let sent = 0;
  const onReceive = (message: { message: string }) => {
    deliveries += 1;
    const entry = pending.get(message.message);
    if (!entry) return;
    entry.left -= 1;
    if (entry.left === 0) {
      latencies.push(performance.now() - entry.at);
      pending.delete(message.message);
    }
  };
  for (const s of sockets) s.on("receive_message", onReceive);
  const senders = sockets.slice(0, Math.max(1, Math.ceil(rate / PER_SENDER)));
  await child.ask({ type: "mark" }, "marked");
  const genCpu = process.cpuUsage();
  const started = performance.now();
  const interval = 1000 / rate;
  while (performance.now() - started < cfg.durationS * 1000) {
    const text = `f${(sequence += 1)}`;
    const sender = senders[sent % senders.length]!;
    pending.set(text, { at: performance.now(), left: receivers });
    sender.emit("send_message", { roomId: GROUP, message: text, sender: 1 + sockets.indexOf(sender) }, () => {});
    sent += 1;
    const due = started + sent * interval;
    await sleep(Math.max(0, due - performance.now()));
  }
  const elapsedS = (performance.now() - started) / 1000;
  const stats = await child.ask({ type: "stats" }, "stats");
  const gen = process.cpuUsage(genCpu);
  const drainUntil = performance.now() + 3000;
  while (pending.size > 0 && performance.now() < drainUntil) await sleep(50);
  for (const s of sockets) s.off("receive_message", onReceive);
  return {
    kind,
    rate,
    sent,
    complete: latencies.length,
    deliveriesPerS: deliveries / ((performance.now() - started) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPct: (stats.cpuMs / stats.wallMs) * 100,
    genCpuPct: ((gen.user + gen.system) / 1000 / (elapsedS * 1000)) * 100,
  };
}

const saturated = (l: Level) => !(l.p99 <= SATURATED_P99_MS) || l.complete < l.sent;
const row = (l: Level) =>
  `| ${l.kind} | ${l.rate}/s${saturated(l) ? ", saturated" : ""} | ${l.sent} | ${l.complete} | ${l.deliveriesPerS.toFixed(0)} | ${l.p50.toFixed(1)} ms | ${l.p99.toFixed(1)} ms | ${l.cpuPct.toFixed(0)}% | ${l.genCpuPct.toFixed(0)}% |`;

async function fanOut(kind: Kind): Promise<Level[]> {
  progress(`${kind}: starting the server, connecting ${cfg.members} sockets`);
  const child = await startChild(kind, { dbUrl: dbUrl.toString(), secret, pool: cfg.pool });
  const sockets = await inBatches(cfg.members, 100, async (i) => {
    const socket = await connectClient(child.url, kind === "causette" ? tokenOf(i + 1) : null);
    const ack = (await socket.timeout(10_000).emitWithAck("join_room", GROUP)) as { ok: boolean };
    if (!ack.ok) throw new Error(`join_room refused: ${JSON.stringify(ack)}`);
    return socket;
  });
  const levels: Level[] = [];
  for (const rate of cfg.rates) {
    const level = await runLevel(kind, child, sockets, rate);
    levels.push(level);
    log(row(level));
    if (saturated(level)) break;
  }
  for (const s of sockets) s.disconnect();
  await child.stop();
  return levels;
}

const readers = Array.from({ length: cfg.readers }, (_, i) => cfg.members - i);

/** Each reader marks successive messages of user 1 in its room read, `reads` times, all readers at once. */
async function markReads(url: string, seats: Array<{ roomId: number; reader: number }>, label: string) {
  const post = async (path: string, userId: number, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${tokenOf(userId)}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { id: number } };
  };
  const ids = new Map<number, number[]>();
  for (const { roomId } of seats) {
    if (ids.has(roomId)) continue;
    const list: number[] = [];
    for (let i = 0; i < cfg.reads; i += 1)
      list.push((await post("/api/chat/", 1, { roomId, message: `r${i}` })).body.id);
    ids.set(roomId, list);
  }
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    seats.map(async ({ roomId, reader }) => {
      for (const messageId of ids.get(roomId)!) {
        const t0 = performance.now();
        const res = await post(`/api/room/${roomId}/read`, reader, { messageId });
        if (res.status === 200) latencies.push(performance.now() - t0);
        else errors += 1;
      }
    }),
  );
  log(
    `| ${label} | ${seats.length} | ${latencies.length} | ${errors} | ${percentile(latencies, 50).toFixed(2)} ms | ${percentile(latencies, 99).toFixed(2)} ms |`,
  );
  return percentile(latencies, 99);
}

log(`# group bench${smoke ? " (SMOKE)" : ""}: ${new Date().toISOString()}`);
log(machineLine());
log(
  `one group of ${cfg.members} members, every one connected to one node; rates ${cfg.rates.join(", ")} msg/s for ${cfg.durationS} s each, ` +
    `until saturation (p99 at the last receiver > ${SATURATED_P99_MS} ms, or a message not delivered to everyone); database ${cfg.database} on ${serverUrl.host}, pool ${cfg.pool}`,
);
await prepareDatabase();
log("");
log(
  "| server | rate | sent | delivered to all | deliveries/s | last receiver p50 | last receiver p99 | server CPU | generator CPU |",
);
log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
const app = await fanOut("causette");
const relay = await fanOut("relay");
const best = (levels: Level[]) => Math.max(0, ...levels.map((l) => l.deliveriesPerS));
log("");
log(
  `fan-out: highest deliveries/s causette ${best(app).toFixed(0)}, bare socket.io ${best(relay).toFixed(0)} ` +
    `(${((best(app) / Math.max(1, best(relay))) * 100).toFixed(0)}%)`,
);

log("");
log("| mark-read | readers | calls | errors | p50 | p99 |");
log("|---|---:|---:|---:|---:|---:|");
const child = await startChild("causette", { dbUrl: dbUrl.toString(), secret, pool: cfg.pool });
const inGroup = await markReads(
  child.url,
  readers.map((reader) => ({ roomId: GROUP, reader })),
  `one group of ${cfg.members}`,
);
const inPairs = await markReads(
  child.url,
  readers.map((reader, i) => ({ roomId: GROUP + 1 + i, reader })),
  "each in a room of two (baseline)",
);
log("");
log(`mark-read p99: group of ${cfg.members} ${inGroup.toFixed(2)} ms, rooms of two ${inPairs.toFixed(2)} ms`);
await child.stop();
process.exit(0);
