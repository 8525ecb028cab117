import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  createTestDatabase,
  DATABASE_MODES,
  startServer,
  type TestDatabase,
  type TestServer,
} from "@causette/server/test-harness";

import { createChatClient, type ChatClient, type Message, type MessageState, type Room } from "../src/index.ts";
import { FlakyNetwork, next, sdkUser, until, type SdkUser } from "./helpers.ts";

/**
 * One user on two devices: one stays connected the whole time, the other is cut off for most of a
 * scripted session of 500 mixed operations and catches up when it comes back. Each builds its view of
 * the room from the SDK's events alone; at the end both views are the same, field by field, and
 * agree with the server (history, threads, unread mentions). On both database modes.
 */

const OPERATIONS = 500;
const EMOJI = ["👍", "🎉", ":eyes:", "❤️", ":ship_it:"];
const RANK: Record<MessageState, number> = { ok: 0, recu: 1, lu: 2 };

/** A deterministic pseudo-random sequence (mulberry32), so a failing run can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A device's view of the room: every message, from the events the SDK delivers. */
class View {
  readonly messages = new Map<number, Message>();
  /** The highest version any event carried. */
  version = 0;

  constructor(
    chat: ChatClient,
    private readonly self: number,
  ) {
    const put = (m: Message) => {
      this.messages.set(m.id, m);
      this.saw(m.version);
    };
    chat.realtime.on("receive_message", put);
    chat.realtime.on("message_updated", put);
    chat.realtime.on("message_deleted", put);
    chat.realtime.on("message_state_update", (u) => {
      // This message and every earlier one of the same sender are at least at `state`.
      const target = this.messages.get(u.messageId);
      for (const m of this.messages.values()) {
        if (m.sender === target?.sender && m.id <= u.messageId && RANK[m.state] < RANK[u.state] && !m.deletedAt) {
          this.messages.set(m.id, { ...m, state: u.state });
        }
      }
      this.saw(u.version);
    });
    for (const event of ["reaction_added", "reaction_removed"] as const) {
      chat.realtime.on(event, (r) => {
        const m = this.messages.get(r.messageId);
        if (m) {
          const old = m.reactions.find((x) => x.emoji === r.emoji);
          const me = r.userId === this.self ? event === "reaction_added" : (old?.me ?? false);
          const reactions =
            r.count === 0
              ? m.reactions.filter((x) => x.emoji !== r.emoji)
              : old
                ? m.reactions.map((x) => (x.emoji === r.emoji ? { emoji: r.emoji, count: r.count, me } : x))
                : [...m.reactions, { emoji: r.emoji, count: r.count, me }];
          this.messages.set(m.id, { ...m, reactions });
        }
        this.saw(r.version);
      });
    }
    chat.realtime.on("read_marker", (marker) => this.saw(marker.version));
  }

  private saw(version: number) {
    this.version = Math.max(this.version, version);
  }

  /** Each message without its version (a receipt moves earlier messages whose new version no event names). */
  snapshot() {
    return [...this.messages.values()].sort((a, b) => a.id - b.id).map(({ version: _version, ...rest }) => rest);
  }

  unreadMentions(self: number, readUpTo: number) {
    return [...this.messages.values()].filter((m) => m.id > readUpTo && m.mentions.includes(self) && !m.deletedAt)
      .length;
  }
}

describe.each(DATABASE_MODES)("an SDK client that was offline, on %s", (_label, dbUrl) => {
  let db: TestDatabase;
  let server: TestServer;
  let owner: SdkUser;
  let ana: SdkUser;
  /** Cid, acting (through the API) and watching on two devices. */
  let cid: SdkUser;
  let online: ChatClient;
  let offline: ChatClient;
  let room: Room;
  const network = new FlakyNetwork();

  async function device(options: Parameters<typeof createChatClient>[0]): Promise<ChatClient> {
    const chat = createChatClient(options);
    await chat.auth.login({ email: cid.email, password: cid.password });
    return chat;
  }

  beforeAll(async () => {
    db = await createTestDatabase(dbUrl);
    server = await startServer({ db });
    [owner, ana, cid] = await Promise.all([
      sdkUser(server.url, "owner"),
      sdkUser(server.url, "ana"),
      sdkUser(server.url, "cid"),
    ]);
    room = await owner.chat.rooms.create({ name: "Session", participants: [ana.user.id, cid.user.id] });
    online = await device({ url: server.url, transports: ["websocket"] });
    offline = await device({ url: server.url, WebSocket: network.WebSocket, transports: ["websocket"] });
  });
  afterAll(async () => {
    online?.realtime.disconnect();
    offline?.realtime.disconnect();
    await server?.close();
    await db?.destroy();
  });

  it("ends with the same messages, threads, quotes, reactions and mentions as one that stayed connected", async () => {
    const views = { online: new View(online, cid.user.id), offline: new View(offline, cid.user.id) };
    for (const chat of [online, offline]) {
      await chat.realtime.connect();
      await chat.realtime.joinRoom(room.id);
    }
    const rand = random(12);
    const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(rand() * items.length)];
    const actors = [owner, ana, cid];
    const names = new Map(actors.map((a) => [a.user.id, a.user.username]));
    const sent: Message[] = [];
    const live = () => sent.filter((m) => !m.deletedAt);
    const refresh = (m: Message) => {
      const i = sent.findIndex((x) => x.id === m.id);
      if (i >= 0) sent[i] = m;
    };
    const text = (i: number) => {
      const mention = pick([
        "",
        "",
        ` @${pick([...names.values()])}`,
        ` @${names.get(cid.user.id)}`,
        " @room",
        " @nobody_here",
      ]);
      return `op ${i}${mention}`;
    };
    let readUpTo = 0;
    const counts: Record<string, number> = {};
    const cutAt = 40;
    const restoreAt = OPERATIONS - 20;

    for (let i = 0; i < OPERATIONS; i += 1) {
      if (i === cutAt) {
        const dropped = next(offline, "disconnect");
        network.cut();
        await dropped;
      }
      if (i === restoreAt) {
        const synced = next(offline, "synced", (s) => s.roomId === room.id, 20_000);
        network.restore();
        await synced;
      }
      const actor = pick(actors)!;
      const roll = rand();
      const top = live().filter((m) => m.parentId === null);
      const own = live().filter((m) => m.sender === actor.user.id);
      let kind: string;
      if (sent.length < 5 || roll < 0.22) {
        kind = "send";
        sent.push(await actor.chat.messages.send({ roomId: room.id, message: text(i) }));
      } else if (roll < 0.37) {
        kind = "reply";
        const root = pick(sent.filter((m) => m.parentId === null))!;
        sent.push(await actor.chat.messages.send({ roomId: room.id, message: text(i), parentId: root.id }));
      } else if (roll < 0.45) {
        kind = "quote";
        const quoted = pick(sent)!;
        const parentId = rand() < 0.3 ? pick(top)?.id : undefined;
        sent.push(await actor.chat.messages.send({ roomId: room.id, message: text(i), quotedId: quoted.id, parentId }));
      } else if (roll < 0.65) {
        kind = "react";
        const target = pick(live());
        if (target) refresh(await actor.chat.messages.react({ id: target.id, emoji: pick(EMOJI)! }));
      } else if (roll < 0.77) {
        kind = "unreact";
        const target = pick(live().filter((m) => m.reactions.length > 0));
        if (target) refresh(await actor.chat.messages.unreact({ id: target.id, emoji: pick(target.reactions)!.emoji }));
      } else if (roll < 0.87) {
        kind = "edit";
        const target = pick(own);
        if (target) refresh(await actor.chat.messages.edit({ id: target.id, message: `${text(i)} (edited)` }));
      } else if (roll < 0.94) {
        kind = "delete";
        const target = pick(own);
        if (target) refresh(await actor.chat.messages.delete(target.id));
      } else {
        kind = "read";
        const target = pick(live().filter((m) => m.sender !== cid.user.id));
        if (target) {
          await cid.chat.rooms.markRead({ id: room.id, messageId: target.id });
          readUpTo = Math.max(readUpTo, target.id);
        }
      }
      counts[kind] = (counts[kind] ?? 0) + 1;
    }

    // Every kind of operation happened, many times over.
    for (const kind of ["send", "reply", "quote", "react", "unreact", "edit", "delete", "read"]) {
      expect(counts[kind], kind).toBeGreaterThan(10);
    }
    const final = (await cid.chat.rooms.changes({ id: room.id, since: 0 })).version;
    await until(() => views.online.version >= final && views.offline.version >= final, 20_000, "both devices");

    const seenOnline = views.online.snapshot();
    expect(views.offline.snapshot()).toEqual(seenOnline);

    // And both agree with the server: every message as Cid reads it now, main history and threads.
    const fromServer = (await cid.chat.rooms.changes({ id: room.id, since: 0 })).messages
      .sort((a, b) => a.id - b.id)
      .map(({ version: _version, ...rest }) => rest);
    expect(seenOnline).toEqual(fromServer);
    expect(seenOnline.some((m) => m.replyCount > 1)).toBe(true);
    expect(seenOnline.some((m) => m.reactions.some((r) => r.me) && m.reactions.some((r) => r.count > 1))).toBe(true);
    expect(seenOnline.some((m) => m.quoted?.deleted)).toBe(true);
    const mentions = (await cid.chat.rooms.list()).find((r) => r.id === room.id)!.mentions;
    expect(mentions).toBeGreaterThan(0);
    expect(views.online.unreadMentions(cid.user.id, readUpTo)).toBe(mentions);
    expect(views.offline.unreadMentions(cid.user.id, readUpTo)).toBe(mentions);
  }, 360_000);
});
