import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError } from "../src/index.ts";
import { next, twoInARoom, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;
let roomId: number;

beforeAll(async () => {
  let room: { id: number };
  ({ server, ana, bob, room } = await twoInARoom());
  roomId = room.id;
});
afterAll(() => server?.close());

describe("files in Node", () => {
  it("uploads a Node stream, reporting progress, and downloads the same bytes", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const seen: number[] = [];
    const file = await ana.chat.files.upload(
      Readable.from([data.subarray(0, 1_000_000), data.subarray(1_000_000)]),
      "dump.bin",
      {
        onProgress: ({ loaded, total }) => {
          expect(total).toBeUndefined();
          seen.push(loaded);
        },
      },
    );
    expect(file).toMatchObject({ name: "dump.bin", size: data.length, contentType: "application/octet-stream" });
    expect(seen.at(-1)).toBe(data.length);
    const back = Buffer.from(await (await ana.chat.files.download(file.id)).arrayBuffer());
    expect(back.equals(data)).toBe(true);
    expect(ana.chat.files.url(file.id)).toBe(`${server.url}/api/files/${file.id}`);
    expect(ana.chat.files.url(file.id, { thumbnail: true })).toBe(`${server.url}/api/files/${file.id}/thumbnail`);
  });

  it("uploads a Blob with a name that needs escaping", async () => {
    const file = await ana.chat.files.upload(new Blob(["bonjour\n"]), 'notes "été".txt');
    expect(file).toMatchObject({ name: "notes %22été%22.txt", size: 8, contentType: "text/plain" });
  });

  it("fails with the server's ChatError: empty, someone else's file", async () => {
    const empty = await ana.chat.files.upload(new Blob([]), "empty.txt").catch((e: unknown) => e);
    expect(ChatError.is(empty)).toBe(true);
    expect(empty).toMatchObject({ code: "BAD_REQUEST", status: 400, issues: [{ path: "file" }] });
    const mine = await ana.chat.files.upload(new Blob(["x"]), "x.txt");
    await expect(bob.chat.files.download(mine.id)).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});

describe("sending with attachments", () => {
  it("messages.send and realtime.sendMessage attach uploads; the other member gets them live and reads them", async () => {
    await bob.chat.realtime.connect();
    await bob.chat.realtime.joinRoom(roomId);
    const report = await ana.chat.files.upload(new Blob(["quarterly figures\n"]), "report.txt");
    const logs = await ana.chat.files.upload(Readable.from([Buffer.from("line 1\nline 2\n")]), "app.log");

    const live = next(bob.chat, "receive_message", (m) => m.message === "the report");
    const sent = await ana.chat.messages.send({ roomId, message: "the report", attachments: [report.id, logs.id] });
    expect(sent.attachments).toEqual([report, logs]);
    expect((await live).attachments).toEqual([report, logs]);
    const text = await (await bob.chat.files.download(report.id)).text();
    expect(text).toBe("quarterly figures\n");

    await ana.chat.realtime.connect();
    await ana.chat.realtime.joinRoom(roomId);
    const again = await ana.chat.files.upload(new Blob(["v2\n"]), "report-v2.txt");
    const viaSocket = await ana.chat.realtime.sendMessage({ roomId, message: "v2", attachments: [again.id] });
    expect(viaSocket.attachments).toEqual([again]);
    expect(await (await bob.chat.files.download(again.id)).text()).toBe("v2\n");
    const history = await bob.chat.messages.list({ roomId });
    expect(history.map((m) => m.attachments.map((f) => f.name))).toEqual([
      ["report.txt", "app.log"],
      ["report-v2.txt"],
    ]);
  });

  it("refuses someone else's upload and more than 10 files with a ChatError naming the field", async () => {
    const bobs = await bob.chat.files.upload(new Blob(["bob's"]), "bob.txt");
    await expect(ana.chat.messages.send({ roomId, message: "stolen", attachments: [bobs.id] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      status: 400,
      issues: [{ path: "attachments.0" }],
    });
    const many = Array.from({ length: 11 }, (_, i) => i + 1);
    await expect(ana.chat.realtime.sendMessage({ roomId, message: "many", attachments: many })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      issues: [{ path: "attachments" }],
    });
    const history = await ana.chat.messages.list({ roomId });
    expect(history.map((m) => m.message)).not.toContain("stolen");
    expect(history.map((m) => m.message)).not.toContain("many");
  });
});
