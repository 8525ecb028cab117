import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { checkKey, type ByteRange, type FileStore } from "./file-store.ts";

/** Writes in progress live here until they are complete, then move into place with one rename. */
const PARTIAL_DIR = ".partial";

/** Files under one directory; a write becomes visible only once complete (write, then rename). */
export async function createDiskStore(dir: string): Promise<FileStore> {
  const partialDir = join(dir, PARTIAL_DIR);
  await mkdir(partialDir, { recursive: true });
  const pathOf = (key: string) => join(dir, checkKey(key));

  return {
    kind: "disk",
    async put(key, body) {
      const target = pathOf(key);
      const partial = join(partialDir, `${checkKey(key)}-${randomBytes(4).toString("hex")}`);
      try {
        await pipeline(body, createWriteStream(partial, { flags: "wx" }));
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async get(key, range?: ByteRange): Promise<Readable> {
      const path = pathOf(key);
      await stat(path);
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
    async keys() {
      const [done, partial] = await Promise.all([readdir(dir), readdir(partialDir)]);
      return [...done.filter((name) => name !== PARTIAL_DIR), ...partial.map((name) => `${PARTIAL_DIR}/${name}`)];
    },
  };
}
