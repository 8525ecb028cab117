import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { newStorageKey } from "../src/services/file.service.ts";
import { TEST_STORES, type TestStore } from "./file-stores.ts";

const bytesOf = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** A body that sends `good` bytes, then fails as a too-large or cut upload does. */
function failingBody(good: Buffer, error = new Error("cut short")) {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
      } else this.destroy(error);
    },
  });
}

describe.each(TEST_STORES)("the %s file store", (_kind, open) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(() => t?.close());

  it("stores, reads whole and by range, and removes", async () => {
    const key = newStorageKey();
    const data = randomBytes(300_000);
    await t.store.put(key, Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]));
    expect(await t.store.keys()).toContain(key);
    expect((await bytesOf(await t.store.get(key))).equals(data)).toBe(true);
    expect((await bytesOf(await t.store.get(key, { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
    await t.store.remove(key);
    expect(await t.store.keys()).not.toContain(key);
    await expect(t.store.get(key)).rejects.toThrow();
    await t.store.remove(key); // removing again is harmless
  });

  it("streams a body larger than one S3 part (multipart) and reads it back", async () => {
    const key = newStorageKey();
    const data = randomBytes(11 * 1024 * 1024 + 7);
    await t.store.put(key, Readable.from([data]));
    expect((await bytesOf(await t.store.get(key))).equals(data)).toBe(true);
    await t.store.remove(key);
  });

  it("leaves nothing behind when the body fails, small or past the first part", async () => {
    const before = await t.store.keys();
    for (const size of [1000, 6 * 1024 * 1024]) {
      const key = newStorageKey();
      await expect(t.store.put(key, failingBody(randomBytes(size)))).rejects.toThrow("cut short");
      await expect(t.store.get(key)).rejects.toThrow();
    }
    expect(await t.store.keys()).toEqual(before);
  });

  it("refuses keys that could name another place", async () => {
    for (const key of ["../escape", "a/b", ".hidden", ""]) {
      await expect(t.store.put(key, Readable.from(["x"]))).rejects.toThrow("invalid storage key");
    }
    expect(await text(Readable.from(["ok"]))).toBe("ok");
  });
});
