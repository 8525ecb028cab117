import { randomBytes } from "node:crypto";
import { request } from "node:http";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { TEST_STORES, type TestStore } from "./file-stores.ts";
import { signUp, startServer, type TestServer, type TestUser } from "./harness.ts";
import { eventually } from "./realtime-helpers.ts";

const MAX = 1024 * 1024;

/** POST /api/files with one part `file`, as a browser's FormData sends it. */
async function upload(
  server: TestServer,
  user: TestUser | null,
  data: Uint8Array | string,
  name: string,
  claimedType = "application/octet-stream",
) {
  const form = new FormData();
  form.append("file", new Blob([data], { type: claimedType }), name);
  const response = await fetch(`${server.url}/api/files`, {
    method: "POST",
    body: form,
    headers: user ? { authorization: `Bearer ${user.token}` } : {},
  });
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

async function download(server: TestServer, user: TestUser, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${user.token}`, ...headers },
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/**
 * A raw multipart request: `head` is sent, then `rest` unless the client stalls. Answers the status
 * and body the server sent back (the server may answer and close before the body is complete).
 */
function rawUpload(
  server: TestServer,
  user: TestUser,
  parts: { head: Buffer | string; rest?: Buffer | string; contentLength?: number; contentType?: string },
): Promise<{ status: number; body: any }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/files",
        headers: {
          authorization: `Bearer ${user.token}`,
          "content-type": parts.contentType ?? "multipart/form-data; boundary=XyZ",
          ...(parts.contentLength === undefined ? {} : { "content-length": String(parts.contentLength) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      },
    );
    req.on("error", reject);
    req.write(parts.head);
    if (parts.rest !== undefined) req.end(parts.rest);
  });
}

const partHead = (name = "file", filename = "a.bin") =>
  `--XyZ\r\ncontent-disposition: form-data; name="${name}"; filename="${filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`;

describe.each(TEST_STORES)("files on the %s store", (_kind, openStore) => {
  let t: TestStore;
  let server: TestServer;
  let ana: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    t = await openStore();
    server = await startServer({ store: t.store, config: { maxUploadBytes: MAX, uploadIdleTimeoutMs: 400 } });
    [ana, bob] = await Promise.all([signUp(server.url, "ana"), signUp(server.url, "bob")]);
  });
  afterAll(async () => {
    await server?.close();
    await t?.close();
  });

  /** Each refusal leaves nothing: no object, and no partial one. */
  async function expectNothingStored() {
    expect(await t.store.keys()).toEqual([]);
  }

  describe("upload and download", () => {
    let png: Buffer;
    let file: any;
    beforeAll(async () => {
      png = await sharp({ create: { width: 800, height: 400, channels: 3, background: "#3a7" } })
        .png()
        .toBuffer();
      const answer = await upload(server, ana, png, "cat.png", "image/png");
      expect(answer.status).toBe(201);
      file = answer.body;
    });

    it("answers the file with its sniffed type and an image's size", () => {
      expect(file).toEqual({
        id: expect.any(Number),
        name: "cat.png",
        size: png.length,
        contentType: "image/png",
        width: 800,
        height: 400,
      });
    });

    it("serves the uploader the same bytes, as an attachment that is never sniffed", async () => {
      const answer = await download(server, ana, `/api/files/${file.id}`);
      expect(answer.status).toBe(200);
      expect(answer.bytes.equals(png)).toBe(true);
      expect(answer.headers.get("content-type")).toBe("image/png");
      expect(answer.headers.get("content-length")).toBe(String(png.length));
      expect(answer.headers.get("content-disposition")).toBe("attachment; filename=cat.png");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("accept-ranges")).toBe("bytes");
    });

    it("serves a thumbnail of at most 320 px on the longest side", async () => {
      const answer = await download(server, ana, `/api/files/${file.id}/thumbnail`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toBe("image/webp");
      expect(await sharp(answer.bytes).metadata()).toMatchObject({ format: "webp", width: 320, height: 160 });
    });

    it("answers HTTP range requests with 206, and 416 past the end", async () => {
      const first = await download(server, ana, `/api/files/${file.id}`, { range: "bytes=0-9" });
      expect(first.status).toBe(206);
      expect(first.headers.get("content-range")).toBe(`bytes 0-9/${png.length}`);
      expect(first.bytes.equals(png.subarray(0, 10))).toBe(true);
      const tail = await download(server, ana, `/api/files/${file.id}`, { range: "bytes=-5" });
      expect(tail.status).toBe(206);
      expect(tail.bytes.equals(png.subarray(png.length - 5))).toBe(true);
      const open = await download(server, ana, `/api/files/${file.id}`, { range: `bytes=${png.length - 3}-` });
      expect(open.bytes.equals(png.subarray(png.length - 3))).toBe(true);
      const beyond = await download(server, ana, `/api/files/${file.id}`, { range: `bytes=${png.length}-` });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get("content-range")).toBe(`bytes */${png.length}`);
      const malformed = await download(server, ana, `/api/files/${file.id}`, { range: "pages=1-2" });
      expect(malformed.status).toBe(200);
      expect(malformed.bytes.equals(png)).toBe(true);
    });

    it("is 404 for anyone else until a message carries it, 401 without a token, 400 for a bad id", async () => {
      expect((await download(server, bob, `/api/files/${file.id}`)).status).toBe(404);
      expect((await download(server, bob, `/api/files/${file.id}/thumbnail`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/files/${file.id}`)).status).toBe(401);
      const bad = await fetch(`${server.url}/api/files/abc`, { headers: { authorization: `Bearer ${ana.token}` } });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).error.issues).toEqual([{ path: "id", message: "must be a file id" }]);
      expect((await download(server, ana, "/api/files/999999999")).status).toBe(404);
    });
  });

  describe("content types come from the bytes", () => {
    it("serves a text file claimed as a PNG as UTF-8 text", async () => {
      const answer = await upload(server, ana, "héllo, world\n", "photo.png", "image/png");
      expect(answer.body).toMatchObject({ contentType: "text/plain", name: "photo.png" });
      expect(answer.body.width).toBeUndefined();
      const served = await download(server, ana, `/api/files/${answer.body.id}`);
      expect(served.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect((await download(server, ana, `/api/files/${answer.body.id}/thumbnail`)).status).toBe(404);
    });

    it("never serves HTML or SVG as such: an attachment of an inert type", async () => {
      for (const [data, name, claimed] of [
        ["<html><script>alert(1)</script></html>", "page.html", "text/html"],
        ['<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg", "image/svg+xml"],
        ['<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "y.svg", "image/svg+xml"],
      ] as const) {
        const answer = await upload(server, ana, data, name, claimed);
        expect(answer.status).toBe(201);
        const served = await download(server, ana, `/api/files/${answer.body.id}`);
        expect(served.headers.get("content-type")).toMatch(/^(text\/plain; charset=utf-8|application\/octet-stream)$/);
        expect(served.headers.get("content-disposition")).toMatch(/^attachment;/);
        expect(served.headers.get("content-security-policy")).toContain("sandbox");
      }
    });

    it("calls binary bytes it does not know application/octet-stream, and text with NUL binary", async () => {
      const unknown = await upload(server, ana, randomBytes(5000), "data.txt", "text/plain");
      expect(unknown.body.contentType).toBe("application/octet-stream");
      const nul = await upload(server, ana, "abc\u0000def", "nul.txt", "text/plain");
      expect(nul.body.contentType).toBe("application/octet-stream");
    });

    it("keeps a hostile name only as a display name, encoded safely in content-disposition", async () => {
      const traversal = await upload(server, ana, "x", "../../../etc/passwd");
      expect(traversal.body.name).toBe("passwd");
      const hidden = await upload(server, ana, "x", "..\\..\\.bashrc");
      expect(hidden.body.name).toBe("bashrc");
      const unicode = await upload(server, ana, "x", "résumé \u202Efdp.exe");
      expect(unicode.body.name).toBe("résumé fdp.exe");
      const served = await download(server, ana, `/api/files/${unicode.body.id}`);
      expect(served.headers.get("content-disposition")).toBe(
        `attachment; filename="r?sum? fdp.exe"; filename*=UTF-8''r%C3%A9sum%C3%A9%20fdp.exe`,
      );
      for (const key of await t.store.keys()) expect(key).toMatch(/^[0-9a-f-]{36}(-thumb)?$/);
    });
  });

  describe("bad uploads are refused with nothing left in the store", () => {
    beforeAll(async () => {
      await server.app.services.files.sweep(); // nothing is old enough: only to start each test clean below
      for (const key of await t.store.keys()) await t.store.remove(key);
    });

    it("over MAX_UPLOAD_BYTES: 413 while streaming", async () => {
      const answer = await upload(server, ana, randomBytes(3 * MAX), "big.bin");
      expect(answer.status).toBe(413);
      expect(answer.body.error.code).toBe("PAYLOAD_TOO_LARGE");
      await expectNothingStored();
    });

    it("an empty file: 400 naming `file`", async () => {
      const answer = await upload(server, ana, "", "empty.txt");
      expect(answer.status).toBe(400);
      expect(answer.body.error.issues).toEqual([{ path: "file", message: "the file is empty" }]);
      await expectNothingStored();
    });

    it("a truncated multipart body: 400", async () => {
      const body = `${partHead()}${randomBytes(50_000).toString("base64")}`;
      const answer = await rawUpload(server, ana, { head: body, rest: "", contentLength: Buffer.byteLength(body) });
      expect(answer.status).toBe(400);
      expect(answer.body.error.issues[0].path).toBe("file");
      await expectNothingStored();
    });

    it("a client that stalls mid-upload: 408 after the idle time-out", async () => {
      const head = `${partHead()}${"x".repeat(100_000)}`;
      const answer = await rawUpload(server, ana, { head, contentLength: Buffer.byteLength(head) + 100_000 });
      expect(answer.status).toBe(408);
      expect(answer.body.error.code).toBe("TIMEOUT");
      await expectNothingStored();
    });

    it("a part not named file, a second part, no part: 400 naming the field", async () => {
      const wrong = `${partHead("document")}abc\r\n--XyZ--\r\n`;
      const a = await rawUpload(server, ana, { head: wrong, rest: "" });
      expect(a.status).toBe(400);
      expect(a.body.error.issues[0].path).toBe("file");
      const two = `${partHead()}abc\r\n${partHead("file", "b.bin")}def\r\n--XyZ--\r\n`;
      const b = await rawUpload(server, ana, { head: two, rest: "" });
      expect(b.status).toBe(400);
      const none = await rawUpload(server, ana, { head: "--XyZ--\r\n", rest: "" });
      expect(none.status).toBe(400);
      expect(none.body.error.issues).toEqual([{ path: "file", message: "required: a part named file" }]);
      await expectNothingStored();
    });

    it("not multipart: 415; no token: 401", async () => {
      const json = await rawUpload(server, ana, { head: "{}", rest: "", contentType: "application/json" });
      expect(json.status).toBe(415);
      expect(json.body.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect((await upload(server, null, "x", "a.txt")).status).toBe(401);
      await expectNothingStored();
    });
  });

  it("removes uploads never attached after 24 hours, by the periodic sweep", async () => {
    const HOUR = 3_600_000;
    let now = Date.now();
    const sweeping = await startServer({
      db: server.db,
      store: t.store,
      config: { clock: () => now, fileSweepIntervalMs: 50 },
    });
    try {
      for (const key of await t.store.keys()) await t.store.remove(key);
      const png = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#000" } })
        .png()
        .toBuffer();
      const file = (await upload(sweeping, ana, png, "old.png")).body;
      expect(await t.store.keys()).toHaveLength(2); // the image and its thumbnail
      now += 23 * HOUR;
      await sweeping.app.services.files.sweep();
      expect((await download(sweeping, ana, `/api/files/${file.id}`)).status).toBe(200);
      now += 2 * HOUR;
      await eventually(async () => {
        expect((await download(sweeping, ana, `/api/files/${file.id}`)).status).toBe(404);
        await expectNothingStored();
      });
    } finally {
      await sweeping.close();
    }
  });
});
