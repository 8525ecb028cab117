import { z } from "zod";

import { IdSchema } from "./primitives.ts";

/** An uploaded file as clients see it, on its own and as a message's attachment. */
export const FileSchema = z
  .object({
    id: IdSchema,
    name: z.string().describe("The uploaded file's name, sanitized"),
    size: z.number().int().positive().describe("Bytes"),
    contentType: z.string().describe("Sniffed from the bytes, never the type the client claimed"),
    width: z.number().int().positive().optional().describe("Images only: pixels"),
    height: z.number().int().positive().optional().describe("Images only: pixels"),
  })
  .meta({ id: "File" });
export type FileInfo = z.infer<typeof FileSchema>;

export const FileIdInputSchema = z.strictObject({ id: IdSchema });

/** The multipart part that carries the file in `POST /api/files`. */
export const UPLOAD_FIELD = "file";

/** Longest side of an image's thumbnail, in pixels. */
export const THUMBNAIL_MAX_SIDE = 320;

/**
 * The file routes. They stream bytes (multipart in, binary out), which tRPC does not, so the
 * server serves them with dedicated Express handlers; this table names them once for the server,
 * the OpenAPI document and the SDK.
 */
export const fileRoutes = {
  upload: {
    method: "post",
    path: "/api/files",
    status: 201,
    summary:
      "Upload a file (multipart/form-data, one part `file`): stored, readable by its uploader until a message carries it",
  },
  download: {
    method: "get",
    path: "/api/files/:id",
    status: 200,
    summary:
      "The file's bytes (as an attachment; HTTP range requests): its uploader and members of a room holding a message with it",
  },
  thumbnail: {
    method: "get",
    path: "/api/files/:id/thumbnail",
    status: 200,
    summary: `An image's thumbnail (WebP, at most ${THUMBNAIL_MAX_SIDE} px on the longest side); same access as the file`,
  },
} as const;

/** `/api/files/:id` and its thumbnail for one file. */
export const filePath = (id: number, thumbnail = false) =>
  `${fileRoutes.download.path.replace(":id", String(id))}${thumbnail ? "/thumbnail" : ""}`;
