import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Message, Room } from "@causette/contracts";
import { sql } from "@causette/db";

import { createPair, explain, recordingDatabase, send, type Pair, type QueryLog } from "./chat.ts";
import type { TestDatabase } from "./database.ts";
import { signUp, startServer, trpcClient, type TestServer } from "./harness.ts";

let server: TestServer;
let db: TestDatabase;
let log: QueryLog;
let pair: Pair;
let other: Pair;
let shared: Room;

beforeAll(async () => {
  ({ db, log } = await recordingDatabase());
  server = await startServer({ db });
  pair = await createPair(server, ["ana", "bob"]);
  other = await createPair(server, ["carl", "dana"]);
  // A second room of ana's, with carl.
  shared = (await pair.a.api.post<Room>("/api/room/", { participant: other.a.user.id })).body;
});
afterAll(async () => {
  await server.close();
  await db.destroy();
});

const search = async (user: Pair["a"], query: string) => {
  const res = await user.api.get<Message[]>(`/api/chat/search?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const q = (text: string, extra = "") => `q=${encodeURIComponent(text)}${extra}`;

describe("GET /api/chat/search", () => {
  let fr: Message;
  let en: Message;
  let accented: Message;
  let later: Message;

  beforeAll(async () => {
    fr = await send(pair.a, pair.room.id, "Rendez-vous à la boulangerie demain matin");
    en = await send(pair.b, pair.room.id, "Meet me at the bakery tomorrow morning");
    accented = await send(pair.a, pair.room.id, "L'élève a réussi son thé glacé à Noël");
    later = await send(pair.b, pair.room.id, "La boulangerie ferme à midi");
    await send(other.a, other.room.id, "boulangerie secrète de carl et dana");
  });

  it("finds French and English words", async () => {
    expect((await search(pair.a, q("boulangerie"))).map((m) => m.id)).toEqual([later.id, fr.id]);
    expect(await search(pair.a, q("bakery"))).toEqual([en]);
    expect(await search(pair.b, q("morning tomorrow"))).toEqual([en]);
  });

  it("ignores accents and case, in the text and in the query", async () => {
    expect(await search(pair.a, q("eleve"))).toEqual([accented]);
    expect(await search(pair.a, q("ÉLÈVE"))).toEqual([accented]);
    expect(await search(pair.a, q("noel the glace"))).toEqual([accented]);
    expect(await search(pair.a, q("réussí"))).toEqual([accented]);
  });

  it("answers newest first, with limit", async () => {
    const found = await search(pair.a, q("boulangerie"));
    expect(found.map((m) => m.id)).toEqual([later.id, fr.id]);
    expect(await search(pair.a, q("boulangerie", "&limit=1"))).toEqual([later]);
    for (const limit of ["0", "101", "x"]) {
      const res = await pair.a.api.get(`/api/chat/search?${q("boulangerie", `&limit=${limit}`)}`);
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("limit");
    }
  });

  it("only searches the caller's rooms", async () => {
    const carlsOwn = await search(other.a, q("boulangerie"));
    expect(carlsOwn.map((m) => m.roomId)).toEqual([other.room.id]);
    expect((await search(pair.a, q("secrète"))).length).toBe(0);
    const outsider = await signUp(server.url, "outsider");
    expect(await search({ ...pair.a, api: outsider.api }, q("boulangerie"))).toEqual([]);
  });

  it("roomId narrows to one room; a room the caller is not in answers 404", async () => {
    const inShared = await send(other.a, shared.id, "boulangerie partagée");
    expect((await search(pair.a, q("boulangerie"))).map((m) => m.id)).toEqual([inShared.id, later.id, fr.id]);
    expect(await search(pair.a, q("boulangerie", `&roomId=${shared.id}`))).toEqual([inShared]);
    expect((await search(pair.a, q("boulangerie", `&roomId=${pair.room.id}`))).map((m) => m.id)).toEqual([
      later.id,
      fr.id,
    ]);
    const res = await pair.a.api.get(`/api/chat/search?${q("boulangerie", `&roomId=${other.room.id}`)}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
  });

  it("follows edits and deletions", async () => {
    const m = await send(pair.a, pair.room.id, "gâteau au chocolat");
    await pair.a.api.put(`/api/chat/${m.id}`, { message: "tarte aux pommes" });
    expect(await search(pair.a, q("chocolat"))).toEqual([]);
    expect((await search(pair.a, q("pommes"))).map((x) => x.id)).toEqual([m.id]);
    await pair.a.api.delete(`/api/chat/${m.id}`);
    expect(await search(pair.a, q("pommes"))).toEqual([]);
  });

  it("treats the query as words, never as syntax", async () => {
    for (const text of ["boulangerie & !matin", "'; DROP TABLE messages; --", "a:* | b", "(((", "%_"]) {
      const res = await pair.a.api.get(`/api/chat/search?${q(text)}`);
      expect(res.status, text).toBe(200);
    }
    expect((await search(pair.a, q("boulangerie & !matin"))).map((m) => m.id)).toEqual([fr.id]);
  });

  it("refuses an empty or missing query naming q", async () => {
    for (const query of ["", "q=", "q=%20%20"]) {
      const res = await pair.a.api.get(`/api/chat/search?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.issues[0].path).toBe("q");
    }
  });

  it("finds thread replies beside the main history, in the caller's rooms only", async () => {
    const root = await send(pair.b, pair.room.id, "who brings the croissants?");
    const replied = await pair.a.api.post<Message>("/api/chat/", {
      roomId: pair.room.id,
      message: "I bring croissants",
      parentId: root.id,
    });
    expect(replied.status).toBe(201);
    const reply = replied.body;
    const elsewhere = await send(other.a, other.room.id, "croissants for carl and dana");
    expect((await search(pair.a, q("croissants"))).map((m) => [m.id, m.parentId])).toEqual([
      [reply.id, root.id],
      [root.id, null],
    ]);
    expect((await search(pair.b, q("croissants", `&roomId=${pair.room.id}&limit=1`))).map((m) => m.id)).toEqual([
      reply.id,
    ]);
    expect((await search(other.b, q("croissants"))).map((m) => m.id)).toEqual([elsewhere.id]);
    expect(await trpcClient(server.url, pair.b.token).message.search.query({ q: "bring croissants" })).toEqual([reply]);
    await pair.a.api.delete(`/api/chat/${reply.id}`);
    expect((await search(pair.a, q("croissants"))).map((m) => m.id)).toEqual([root.id]);
  });

  it("tRPC message.search answers what REST answers", async () => {
    expect(await trpcClient(server.url, pair.a.token).message.search.query({ q: "boulangerie" })).toEqual(
      await search(pair.a, q("boulangerie")),
    );
  });
});

describe("search plan", () => {
  it("a rare word is found through the GIN index, never by a sequential scan of messages", async () => {
    // Enough rows that a sequential scan is a real choice for the planner, spread over many rooms.
    const [x, y] = [pair.a.user.id, pair.b.user.id];
    await server.db.pool.query(sql.unsafe`
      INSERT INTO messages (room_id, sender_id, body, version)
      SELECT ${pair.room.id}, CASE WHEN g % 2 = 0 THEN ${x}::int ELSE ${y}::int END,
        'message commun numéro ' || g || ' bonjour hello salut ' || (ARRAY['chat','chien','maison','travail'])[1 + g % 4]
          || CASE WHEN g <= 30 THEN ' ancien' ELSE '' END,
        1000 + g
      FROM generate_series(1, 30000) AS g`);
    await server.db.pool.query(sql.unsafe`ANALYZE messages`);
    const rare = await send(pair.a, pair.room.id, "le mot xylophonique apparaît une fois");

    // Whichever way a word is found, the answer is its newest matches.
    const newest = async (word: string, limit: number) => [
      ...(await server.db.pool.anyFirst(sql.unsafe`
        SELECT id FROM messages WHERE room_id = ${pair.room.id} AND body LIKE ${`%${word}%`} ORDER BY id DESC LIMIT ${limit}`)),
    ];
    expect((await search(pair.a, q("chien", "&limit=7"))).map((m) => m.id)).toEqual(await newest("chien", 7));
    expect((await search(pair.a, q("ancien"))).map((m) => m.id)).toEqual(await newest("ancien", 20));

    for (const query of [q("xylophonique"), q("xylophonique", `&roomId=${pair.room.id}`)]) {
      log.reset();
      expect((await search(pair.a, query)).map((m) => m.id)).toEqual([rare.id]);
      const statements = log.tokens.filter((t) => /@@/.test(t.sql));
      expect(statements.length, "the search statements were recorded").toBeGreaterThan(0);
      const plans = await Promise.all(statements.map((t) => explain(server.db.pool, t)));
      for (const plan of plans) expect(plan).not.toMatch(/Seq Scan on messages/);
      // The rare word's matches come from the GIN index, not from testing message after message.
      expect(
        plans.some((plan) => /Bitmap Index Scan on messages_search_idx/.test(plan)),
        plans.join("\n\n"),
      ).toBe(true);
    }
  });
});
