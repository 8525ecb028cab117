import { z } from "zod";

import { sql, type CommonQueryMethods } from "../slonik.ts";

export const FileRowSchema = z.object({
  id: z.number(),
  uploader: z.number(),
  name: z.string(),
  size: z.number(),
  contentType: z.string(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  storageKey: z.string(),
  thumbnailKey: z.string().nullable(),
  createdAt: z.string(),
});
export type FileRow = z.infer<typeof FileRowSchema>;

export type NewFile = Omit<FileRow, "id" | "createdAt">;

const fileColumns = sql.fragment`f.id, f.uploader_id AS uploader, f.name, f.size, f.content_type AS "contentType",
  f.width, f.height, f.storage_key AS "storageKey", f.thumbnail_key AS "thumbnailKey", f.created_at AS "createdAt"`;

export function insertFile(db: CommonQueryMethods, file: NewFile): Promise<FileRow> {
  return db.one(sql.type(FileRowSchema)`
    WITH f AS (
      INSERT INTO files (uploader_id, name, size, content_type, width, height, storage_key, thumbnail_key)
      VALUES (${file.uploader}, ${file.name}, ${file.size}, ${file.contentType}, ${file.width}, ${file.height},
        ${file.storageKey}, ${file.thumbnailKey})
      RETURNING *
    )
    SELECT ${fileColumns} FROM f`);
}

/**
 * The file if `userId` may read it: its uploader, or a member of a room holding a message that
 * carries it. Anyone else gets null, as if it did not exist.
 */
export function findReadableFile(db: CommonQueryMethods, id: number, userId: number): Promise<FileRow | null> {
  return db.maybeOne(sql.type(FileRowSchema)`
    SELECT ${fileColumns} FROM files f
    WHERE f.id = ${id} AND (
      f.uploader_id = ${userId}
      OR EXISTS (
        SELECT 1 FROM message_attachments a
        JOIN messages m ON m.id = a.message_id
        JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = ${userId}
        WHERE a.file_id = f.id
      )
    )`);
}

/** Which of `ids` the user may attach to a message: their own uploads. */
export async function attachableFiles(
  db: CommonQueryMethods,
  ids: readonly number[],
  userId: number,
): Promise<Set<number>> {
  const owned = await db.anyFirst(sql.type(z.object({ id: z.number() }))`
    SELECT id FROM files WHERE id = ANY(${sql.array([...ids], "int8")}) AND uploader_id = ${userId}`);
  return new Set(owned);
}

const StorageKeysSchema = z.object({ storageKey: z.string(), thumbnailKey: z.string().nullable() });
export type StorageKeys = z.infer<typeof StorageKeysSchema>;

/**
 * Deletes the files no message carries that are either uploads older than `unattachedBefore` or
 * were attached once (their last message is gone), and answers their storage keys so the caller
 * removes the bytes. At most `limit` per call.
 */
export function deleteUnreferencedFiles(
  db: CommonQueryMethods,
  unattachedBefore: string,
  limit: number,
): Promise<readonly StorageKeys[]> {
  return db.any(sql.type(StorageKeysSchema)`
    DELETE FROM files WHERE id IN (
      SELECT f.id FROM files f
      WHERE (f.attached_at IS NOT NULL OR f.created_at < ${unattachedBefore}::timestamptz)
        AND NOT EXISTS (SELECT 1 FROM message_attachments a WHERE a.file_id = f.id)
      LIMIT ${limit}
    )
    RETURNING storage_key AS "storageKey", thumbnail_key AS "thumbnailKey"`);
}
