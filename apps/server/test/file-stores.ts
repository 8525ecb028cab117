import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

import { createDiskStore } from "../src/files/disk-store.ts";
import type { FileStore } from "../src/files/file-store.ts";
import { createS3Store } from "../src/files/s3-store.ts";

export interface TestStore {
  store: FileStore;
  close(): Promise<void>;
}

const BUCKET = "causette-test";

/** A disk store in a fresh temporary directory. */
async function diskTestStore(): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), "causette-disk-store-"));
  return { store: await createDiskStore(dir), close: () => rm(dir, { recursive: true, force: true }) };
}

/** A real S3-compatible server (s3rver) on a free loopback port, with its own bucket and directory. */
async function s3TestStore(): Promise<TestStore> {
  const dir = await mkdtemp(join(tmpdir(), "causette-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  const store = createS3Store({
    kind: "s3",
    bucket: BUCKET,
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    // s3rver's fixed development credentials.
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  return {
    store,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const TEST_STORES = [
  ["disk", diskTestStore],
  ["s3", s3TestStore],
] as const;
