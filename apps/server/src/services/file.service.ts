import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";

import type { FileInfo } from "@causette/contracts";
import { deleteUnreferencedFiles, findReadableFile, insertFile, type FileRow } from "@causette/db";

import { AppError } from "../errors.ts";
import { describeImage, isRasterImage } from "../files/images.ts";
import type { ReceivedFile } from "../files/upload-receiver.ts";
import type { Caller, ServiceDeps } from "./deps.ts";

/** Uploads no message carries are removed this long after the upload. */
const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;
const SWEEP_BATCH = 500;

function toFileInfo(row: FileRow): FileInfo {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    contentType: row.contentType,
    ...(row.width !== null && row.height !== null ? { width: row.width, height: row.height } : {}),
  };
}

/** A fresh storage key: random, so nothing a client sends ever names where bytes go. */
export const newStorageKey = () => randomUUID();

export function createFileService(deps: ServiceDeps) {
  const { store } = deps;

  return {
    /**
     * Records an upload whose bytes are stored under `key`, with an image's size and thumbnail.
     * If anything fails here, the bytes are removed too.
     */
    async create(caller: Caller, key: string, file: ReceivedFile): Promise<FileInfo> {
      const thumbnailKey = `${key}-thumb`;
      try {
        const image = isRasterImage(file.contentType) ? await describeImage(await store.get(key)) : null;
        if (image) await store.put(thumbnailKey, Readable.from([image.thumbnail]));
        const row = await insertFile(deps.pool, {
          uploader: caller.userId,
          name: file.name,
          size: file.size,
          contentType: file.contentType,
          width: image?.width ?? null,
          height: image?.height ?? null,
          storageKey: key,
          thumbnailKey: image ? thumbnailKey : null,
        });
        return toFileInfo(row);
      } catch (error) {
        await Promise.all([store.remove(key), store.remove(thumbnailKey)]).catch(() => {});
        throw error;
      }
    },

    /** The file if the caller may read it (its uploader, or a member of a room that holds it); else 404. */
    async open(caller: Caller, id: number): Promise<FileRow> {
      const file = await findReadableFile(deps.pool, id, caller.userId);
      if (!file) throw new AppError("NOT_FOUND", `No file with id ${id}`);
      return file;
    },

    /**
     * Removes uploads older than a day that no message carries, and files whose last message is
     * gone: their rows first (so nobody is served a file being removed), then their bytes.
     * Answers how many files went.
     */
    async sweep(): Promise<number> {
      const before = new Date(deps.clock() - UNATTACHED_TTL_MS).toISOString();
      let removed = 0;
      for (;;) {
        const gone = await deleteUnreferencedFiles(deps.pool, before, SWEEP_BATCH);
        const keys = gone.flatMap((file) =>
          file.thumbnailKey ? [file.storageKey, file.thumbnailKey] : [file.storageKey],
        );
        await Promise.all(keys.map((key) => store.remove(key)));
        removed += gone.length;
        if (gone.length < SWEEP_BATCH) return removed;
      }
    },
  };
}
export type FileService = ReturnType<typeof createFileService>;
