/**
 * REST benchmark: history pages (latest and deep), room list, search.
 *
 * Seeds its own database (PostgreSQL at DB_URL or --db-url, in a database of its own; the embedded
 * PGlite when neither is set, for smoke runs only), starts the real app and a bare express baseline
 * on the same pool, and measures each with concurrent keep-alive HTTP clients run in a child process.
 *
 *   pnpm --filter @causette/bench bench:rest
 *   pnpm --filter @causette/bench bench:rest --messages 3000 --rooms 40 --users 100 --hub-rooms 10 --duration 1 --warmup 0.2
 */
import { fork } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import express from "express";
import pg from "pg";

import {
  isRoomMember,
  listMessages,
  openDatabase,
  sql,
  type CommonQueryMethods,
  type Database,
  type DatabasePool,
  type MessageRow,
} from "@causette/db";
import { createApp, LOAD_TEST_RATE_LIMITS } from "@causette/server/app";
import { loadEnv } from "@causette/server/env";
import { createLogger } from "@causette/server/logger";

import type { LoadJob, LoadResult } from "./load-client.ts";
import { machineLine, ms, summarize } from "./stats.ts";

const { values: flags } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    rooms: { type: "string", default: "1000" },
    users: { type: "string", default: "2000" },
    "hub-rooms": { type: "string", default: "200" },
    /** Share of all messages in the one busy room whose history is paged deep. */
    "busy-percent": { type: "string", default: "91" },
    depth: { type: "string", default: "900000" },
    duration: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    /** Unmeasured load on the app before the first scenario (JIT, caches, the database settling after the seed). */
    settle: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
    pool: { type: "string", default: "10" },
    "db-url": { type: "string" },
    database: { type: "string", default: "causette_bench" },
    drop: { type: "boolean", default: false },
    /** Only the scenarios whose name matches this regular expression. */
    only: { type: "string", default: "" },
  },
});

const num = (name: keyof typeof flags) => {
  const value = Number(flags[name]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number, got ${String(flags[name])}`);
  return value;
};
const M = num("messages");
const R = num("rooms");
const U = num("users");
const H = num("hub-rooms");
const busyPercent = num("busy-percent");
const durationMs = num("duration") * 1000;
const warmupMs = num("warmup") * 1000;
const connections = num("connections");
const PAGE = 50;

if (U - 2 < 1 + H + 2 * (R - 1 - H))
  throw new Error(`--users ${U} is too few for ${R} rooms with a hub in ${H} of them`);

const env = loadEnv();
const serverUrl = flags["db-url"] ?? env.dbUrl;
const fmt = (n: number) => n.toLocaleString("en-US");

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function openBenchDatabase(): Promise<{ db: Database; label: string; dispose: () => Promise<void> }> {
  if (!serverUrl) {
    const db = await openDatabase({});
    return {
      db,
      label: "embedded PGlite (DB_URL unset: smoke figures only, not comparable)",
      dispose: () => db.close(),
    };
  }
  const name = flags.database;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error("--database must be a plain lower-case identifier");
  await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl, name);
  const db = await openDatabase({ url, maxPoolSize: num("pool") });
  const shown = new URL(url);
  shown.password = "";
  return {
    db,
    label: `PostgreSQL ${shown.host}/${name}`,
    async dispose() {
      await db.close();
      if (flags.drop) await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

interface Seeded {
  busyRoom: number;
  hubRoom: number;
  deepCursor: number;
  busyCount: number;
  seconds: number;
}

const WORDS = [
  "salut",
  "merci",
  "demain",
  "réunion",
  "café",
  "projet",
  "client",
  "hello",
  "thanks",
  "meeting",
  "tomorrow",
  "coffee",
  "project",
  "deadline",
  "maison",
  "travail",
  "équipe",
  "rapport",
  "budget",
  "soir",
  "weekend",
  "lundi",
  "vendredi",
  "déjeuner",
  "lunch",
  "review",
  "release",
  "bug",
  "fix",
  "déploiement",
  "vacances",
  "photo",
  "voiture",
  "train",
  "retard",
  "ok",
  "super",
  "génial",
  "parfait",
  "question",
];

/**
 * Everything but the two signed-up users, in a handful of set-based statements, on one connection
 * without the pool's statement time-out: on a busy machine one of them takes minutes.
 */
function seed(pool: DatabasePool, hub: number, busyUser: number): Promise<Seeded> {
  return pool.connect(async (connection) => {
    await connection.query(sql.unsafe`SET statement_timeout = 0`);
    try {
      return await seedWith(connection, hub, busyUser);
    } finally {
      await connection.query(sql.unsafe`RESET statement_timeout`);
    }
  });
}

async function seedWith(pool: CommonQueryMethods, hub: number, busyUser: number): Promise<Seeded> {
  const started = performance.now();
  const others = [
    ...(await pool.anyFirst(sql.unsafe`
      INSERT INTO users (username, email, password_hash)
      SELECT 'bench_u' || g, 'bench_u' || g || '@bench.invalid', 'not-a-hash'
      FROM generate_series(1, ${U - 2}::int) AS g
      RETURNING id`)),
  ] as number[];
  const pairs: Array<[number, number]> = [[busyUser, others[0]!]];
  for (let i = 1; i <= H; i += 1) pairs.push([hub, others[i]!]);
  for (let k = 0; pairs.length < R; k += 1) pairs.push([others[H + 1 + 2 * k]!, others[H + 2 + 2 * k]!]);
  const roomIds = [
    ...(await pool.anyFirst(sql.unsafe`
      INSERT INTO rooms (user_low, user_high)
      SELECT least(a, b), greatest(a, b)
      FROM unnest(${sql.array(
        pairs.map((p) => p[0]),
        "int4",
      )}::int[], ${sql.array(
        pairs.map((p) => p[1]),
        "int4",
      )}::int[]) WITH ORDINALITY AS t(a, b, n)
      ORDER BY n
      RETURNING id`)),
  ] as number[];
  await pool.query(sql.unsafe`
    INSERT INTO room_members (room_id, user_id)
    SELECT id, user_low FROM rooms UNION ALL SELECT id, user_high FROM rooms`);
  const [busyRoom, hubRoom] = [roomIds[0]!, roomIds[1]!];
  const otherRooms = roomIds.slice(1);

  // Time-ordered messages: the busy room takes `busy-percent` of them, the rest go round-robin to
  // the other rooms. Versions count per room; all but each room's last 3 messages are read.
  // "bonjour" is in about 17% of the messages; "zygomatique" is rare (added below).
  await pool.query(sql.unsafe`
    INSERT INTO messages (room_id, sender_id, body, state, version, seq, created_at)
    SELECT s.room_id, CASE WHEN s.rn % 2 = 0 THEN r.user_low ELSE r.user_high END, s.body,
      CASE WHEN s.rn > s.cnt - 3 THEN 'ok' ELSE 'lu' END, s.rn, s.rn, s.ts
    FROM (
      SELECT g, room_id, body, ts,
        row_number() OVER (PARTITION BY room_id ORDER BY g) AS rn,
        count(*) OVER (PARTITION BY room_id) AS cnt
      FROM (
        SELECT g,
          CASE WHEN g % 100 < ${busyPercent}::int THEN ${busyRoom}::int
               ELSE (${sql.array(otherRooms, "int4")}::int[])[1 + g % ${otherRooms.length}::int] END AS room_id,
          'message ' || g || ' ' || w[1 + g % 40] || ' ' || w[1 + (g / 40) % 40] || ' ' || w[1 + (g / 1600) % 40]
            || CASE WHEN g % 10 = 3 OR g % 40 = 0 THEN ' bonjour' ELSE '' END AS body,
          now() - (${M}::int - g) * interval '1 second' AS ts
        FROM generate_series(1, ${M}::int) AS g, (SELECT ${sql.array(WORDS, "text")}::text[] AS w) AS words
      ) AS assigned
    ) AS s
    JOIN rooms r ON r.id = s.room_id
    ORDER BY s.g`);
  // The rare word: the newest message of the hub's first room, one deep in the busy room, a few elsewhere.
  await pool.query(sql.unsafe`
    UPDATE messages SET body = body || ' zygomatique'
    WHERE id IN (SELECT max(id) FROM messages WHERE room_id = ${hubRoom})
       OR id IN (SELECT id FROM messages WHERE room_id = ${busyRoom} ORDER BY id LIMIT 1 OFFSET ${Math.floor((M * busyPercent) / 200)})
       OR id % ${Math.max(1000, Math.floor(M / 5))} = 17`);
  await seedThreadsQuotesReactions(pool);
  await pool.query(sql.unsafe`
    UPDATE rooms r SET version = s.cnt, message_seq = s.cnt, last_message_id = s.mx, last_activity_at = s.ts
    FROM (SELECT room_id, count(*) AS cnt, max(id) AS mx, max(created_at) AS ts FROM messages GROUP BY room_id) AS s
    WHERE r.id = s.room_id`);
  // Receipts as cursors: both members read all but the room's last 3 messages.
  await pool.query(sql.unsafe`
    UPDATE room_members me SET read_id = c.id, delivered_id = c.id, read_seq = c.seq,
      own_after_read = (SELECT count(*) FROM messages m WHERE m.room_id = me.room_id AND m.sender_id = me.user_id AND m.id > c.id)
    FROM (
      SELECT r.id AS room_id, coalesce(x.id, 0) AS id, coalesce(x.seq, 0) AS seq FROM rooms r
      LEFT JOIN LATERAL (SELECT id, seq FROM messages m WHERE m.room_id = r.id ORDER BY id DESC OFFSET 3 LIMIT 1) x ON true
    ) c
    WHERE me.room_id = c.room_id`);
  await pool.query(sql.unsafe`VACUUM ANALYZE messages`).catch(() => pool.query(sql.unsafe`ANALYZE messages`));
  await pool.query(sql.unsafe`ANALYZE rooms`);
  await pool.query(sql.unsafe`ANALYZE room_members`);
  await pool.query(sql.unsafe`ANALYZE users`);
  // Write the seeded pages out now, rather than have the checkpointer do it during the first scenario.
  await pool.query(sql.unsafe`CHECKPOINT`).catch(() => undefined);

  const busyCount = Number(await pool.oneFirst(sql.unsafe`SELECT count(*) FROM messages WHERE room_id = ${busyRoom}`));
  const depth = Math.min(num("depth"), busyCount - PAGE);
  const deepCursor = Number(
    await pool.oneFirst(sql.unsafe`
    SELECT id FROM messages WHERE room_id = ${busyRoom} ORDER BY id DESC LIMIT 1 OFFSET ${depth}`),
  );
  return { busyRoom, hubRoom, deepCursor, busyCount, seconds: (performance.now() - started) / 1000 };
}

/**
 * What a company chat's messages carry besides text, by each message's number in its room (`seq`):
 * 1 in 10 is a thread reply to the message just before it (so the main history pages skip it and
 * the root counts it), 1 in 10 quotes the message two before it, 1 in 4 carries two reactions (👍
 * from both members, :tada: from one: `me` is looked up for each), 1 in 20 mentions the other member
 * (a row in message_mentions, which the room list counts).
 */
async function seedThreadsQuotesReactions(pool: CommonQueryMethods): Promise<void> {
  await pool.query(sql.unsafe`
    UPDATE messages c SET
      parent_id = CASE WHEN c.seq % 10 = 7 THEN p.id END,
      quoted_id = CASE WHEN c.seq % 10 = 4 THEN q.id END,
      quoted_sender = CASE WHEN c.seq % 10 = 4 THEN q.sender_id END,
      quoted_excerpt = CASE WHEN c.seq % 10 = 4 THEN left(q.body, 200) END,
      reactions = CASE WHEN c.seq % 4 = 1
        THEN '[{"emoji": "👍", "count": 2}, {"emoji": ":tada:", "count": 1}]'::jsonb ELSE '[]'::jsonb END,
      mentions = CASE WHEN c.seq % 20 = 9
        THEN ARRAY[CASE WHEN r.user_low = c.sender_id THEN r.user_high ELSE r.user_low END]::bigint[] ELSE '{}' END
    FROM messages p, messages q, rooms r
    WHERE p.room_id = c.room_id AND p.seq = c.seq - 1 AND q.room_id = c.room_id AND q.seq = c.seq - 2
      AND r.id = c.room_id AND (c.seq % 10 IN (4, 7) OR c.seq % 4 = 1 OR c.seq % 20 = 9)`);
  await pool.query(sql.unsafe`
    UPDATE messages p SET reply_count = 1, last_reply_at = c.created_at
    FROM messages c WHERE c.parent_id = p.id`);
  await pool.query(sql.unsafe`
    INSERT INTO message_reactions (message_id, user_id, emoji)
    SELECT m.id, u.user_id, u.emoji FROM messages m JOIN rooms r ON r.id = m.room_id,
      LATERAL (VALUES (r.user_low, '👍'), (r.user_high, '👍'), (r.user_low, ':tada:')) AS u(user_id, emoji)
    WHERE m.reactions <> '[]'::jsonb`);
  await pool.query(sql.unsafe`
    INSERT INTO message_mentions (message_id, user_id, room_id, seq)
    SELECT m.id, m.mentions[1], m.room_id, m.seq FROM messages m WHERE m.mentions <> '{}'`);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The same SQL the app runs for a history page (membership, then the page), without the app around it. */
function baselineServer(pool: DatabasePool, userId: number): Server {
  const app = express();
  app.get("/history/:room", async (req, res) => {
    const roomId = Number(req.params.room);
    const before = typeof req.query.before === "string" ? Number(req.query.before) : undefined;
    if (!(await isRoomMember(pool, roomId, userId))) {
      res.status(404).json({ error: "not found" });
      return;
    }
    res.json(await listMessages(pool, roomId, { before, limit: PAGE }, userId));
  });
  return app.listen(0, "127.0.0.1");
}

const loader = fork(fileURLToPath(new URL("./load-client.ts", import.meta.url)), [], { execArgv: process.execArgv });

function load(job: Omit<LoadJob, "connections" | "warmupMs" | "durationMs">): Promise<LoadResult> {
  return new Promise((resolve) => {
    loader.once("message", (result) => resolve(result as LoadResult));
    loader.send({ ...job, connections, warmupMs, durationMs } satisfies LoadJob);
  });
}

interface Row {
  name: string;
  reqPerSec: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
  failures: number;
  target?: { metric: "p95" | "p99"; ms: number };
}

const rows: Row[] = [];
const only = new RegExp(flags.only ?? "");
const selected = (name: string) => only.test(name);
function record(name: string, result: LoadResult, target?: Row["target"]): Row {
  const s = summarize(result.latencies);
  const failures = result.errors + Object.values(result.statuses).reduce((a, b) => a + b, 0);
  const row = {
    name,
    reqPerSec: s.count / (result.elapsedMs / 1000),
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
    max: s.max,
    count: s.count,
    failures,
    ...(target ? { target } : {}),
  };
  rows.push(row);
  const verdict = target
    ? `${target.metric} <= ${target.ms} ms: ${row[target.metric] <= target.ms ? "met" : "MISSED"}`
    : "";
  console.log(
    `${name.padEnd(44)} ${row.reqPerSec.toFixed(0).padStart(7)} req/s  p50 ${ms(s.p50).padStart(9)}  p95 ${ms(s.p95).padStart(9)}  p99 ${ms(s.p99).padStart(9)}  max ${ms(s.max).padStart(9)}  ${failures ? `${failures} failed  ` : ""}${verdict}`,
  );
  if (failures) console.log(`  failures: ${JSON.stringify({ errors: result.errors, statuses: result.statuses })}`);
  return row;
}

/** Other work on the machine skews every figure; say how busy it was. */
const loadLine = () =>
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")}`;

async function main() {
  console.log(machineLine());
  console.log(`before: ${loadLine()}`);
  const { db, label, dispose } = await openBenchDatabase();
  const config = {
    production: false,
    jwtSecret: "bench-jwt-secret-that-is-long-enough-0000000",
    cookieSecret: "bench-cookie-secret-that-is-long-enough-000000",
    jwtExpiresIn: "1h",
    corsOrigins: "localhost" as const,
    redisUrl: undefined,
    // The load is the point: per-user send and sign-up limits would measure the limiter.
    rateLimits: LOAD_TEST_RATE_LIMITS,
  };
  const app = await createApp({ config, db, logger: createLogger("silent") });
  const appUrl = await listen(app.server);
  let baseline: Server | undefined;
  try {
    const signUp = async (name: string) => {
      const body = { username: name, email: `${name}@bench.invalid`, password: "bench password" };
      const created = await fetch(`${appUrl}/api/user`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${await created.text()}`);
      const login = await fetch(`${appUrl}/api/user/connexion`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: body.email, password: body.password }),
      });
      return (await login.json()) as { token: string; user: { id: number } };
    };
    const hub = await signUp("bench_hub");
    const busy = await signUp("bench_busy");
    const seeded = await seed(db.pool, hub.user.id, busy.user.id);
    console.log(`database: ${label}`);
    console.log(
      `seeded ${fmt(M)} messages, ${fmt(R)} rooms, ${fmt(U)} users in ${seeded.seconds.toFixed(1)} s ` +
        `(busy room: ${fmt(seeded.busyCount)} messages; hub user in ${H} rooms)`,
    );
    console.log(
      `load: ${connections} concurrent keep-alive clients (child process), ${num("settle")} s unmeasured settling, then ` +
        `${warmupMs / 1000} s warm-up + ${durationMs / 1000} s per scenario; app pool ${serverUrl ? num("pool") : 1} connections`,
    );
    baseline = baselineServer(db.pool, busy.user.id);
    await new Promise((resolve) => baseline!.once("listening", resolve));
    const baseUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}`;
    const asBusy = { authorization: `Bearer ${busy.token}` };
    const asHub = { authorization: `Bearer ${hub.token}` };

    // Sanity: both answer the same page.
    const appPage = await (
      await fetch(`${appUrl}/api/chat/${seeded.busyRoom}?before=${seeded.deepCursor}`, { headers: asBusy })
    ).json();
    const basePage = await (await fetch(`${baseUrl}/history/${seeded.busyRoom}?before=${seeded.deepCursor}`)).json();
    if (JSON.stringify(appPage) !== JSON.stringify(basePage))
      throw new Error("the app and the baseline disagree on the deep page");
    // The pages carry what a company chat's do: quotes, reactions with the caller's own, replied-to roots.
    const carried = appPage as MessageRow[];
    if (
      !carried.some((m) => m.quoted !== null) ||
      !carried.some((m) => m.reactions.some((r) => r.me)) ||
      !carried.some((m) => m.replyCount > 0) ||
      carried.some((m) => m.parentId !== null)
    )
      throw new Error("the deep page lacks quotes, reactions or thread roots, or holds a thread reply");

    const settleMs = num("settle") * 1000;
    if (settleMs > 0) {
      await new Promise<void>((resolve) => {
        loader.once("message", () => resolve());
        loader.send({
          url: appUrl,
          paths: [`/api/chat/${seeded.busyRoom}`, `/api/chat/${seeded.busyRoom}?before=${seeded.deepCursor}`],
          headers: asBusy,
          connections,
          warmupMs: 0,
          durationMs: settleMs,
        } satisfies LoadJob);
      });
    }

    console.log("");
    for (const [title, query] of (
      [
        ["latest", ""],
        [`before= ${fmt(Math.min(num("depth"), seeded.busyCount - PAGE))} deep`, `?before=${seeded.deepCursor}`],
      ] as const
    ).filter(([title]) => selected(`history ${title}`))) {
      const viaApp = record(
        `history ${title} (app)`,
        await load({ url: appUrl, paths: [`/api/chat/${seeded.busyRoom}${query}`], headers: asBusy }),
        { metric: "p99", ms: 20 },
      );
      const viaBase = record(
        `history ${title} (baseline: bare express)`,
        await load({ url: baseUrl, paths: [`/history/${seeded.busyRoom}${query}`], headers: {} }),
      );
      const ratio = viaApp.reqPerSec / viaBase.reqPerSec;
      console.log(
        `  app/baseline throughput: ${(ratio * 100).toFixed(0)}% (target >= 50%: ${ratio >= 0.5 ? "met" : "MISSED"})`,
      );
    }
    if (selected("room list"))
      record(`room list (user in ${H} rooms)`, await load({ url: appUrl, paths: ["/api/room/"], headers: asHub }), {
        metric: "p99",
        ms: 30,
      });
    for (const word of ["bonjour", "zygomatique"].filter(() => selected("search"))) {
      const kind = word === "bonjour" ? "common" : "rare";
      record(
        `search ${kind} word, one room (~${fmt(Math.round((M * (100 - busyPercent)) / 100 / (R - 1)))} msgs)`,
        await load({ url: appUrl, paths: [`/api/chat/search?q=${word}&roomId=${seeded.hubRoom}`], headers: asHub }),
        { metric: "p95", ms: 50 },
      );
      record(
        `search ${kind} word, all ${H} rooms of a user`,
        await load({ url: appUrl, paths: [`/api/chat/search?q=${word}`], headers: asHub }),
        { metric: "p95", ms: 200 },
      );
      record(
        `search ${kind} word, the busy room (${fmt(seeded.busyCount)} msgs)`,
        await load({ url: appUrl, paths: [`/api/chat/search?q=${word}&roomId=${seeded.busyRoom}`], headers: asBusy }),
        { metric: "p95", ms: 50 },
      );
    }
    console.log(`after: ${loadLine()}`);
    console.log(`\nRESULT ${JSON.stringify({ cores: machineLine(), seedSeconds: seeded.seconds, rows })}`);
  } finally {
    loader.kill();
    await app.close();
    await new Promise((resolve) => (baseline ? baseline.close(resolve) : resolve(undefined)));
    await dispose();
  }
}

await main();
