import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { ChatError } from "../src/index.ts";
import { twoInARoom, type SdkUser } from "./helpers.ts";

let server: TestServer;
let ana: SdkUser;
let bob: SdkUser;

beforeAll(async () => {
  ({ server, ana, bob } = await twoInARoom());
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
