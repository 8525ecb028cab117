import type { StorageConfig } from "../env.ts";
import { createDiskStore } from "./disk-store.ts";
import type { FileStore } from "./file-store.ts";
import { createS3Store } from "./s3-store.ts";

/** The store the configuration names: a bucket when S3_BUCKET is set, else the disk under DATA_DIR. */
export function createFileStore(config: StorageConfig): Promise<FileStore> {
  return config.kind === "s3" ? Promise.resolve(createS3Store(config)) : createDiskStore(config.dir);
}
