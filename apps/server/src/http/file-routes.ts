import { pipeline } from "node:stream/promises";
import { create as contentDisposition } from "content-disposition";
import type { Express, Request, Response } from "express";

import { fileRoutes, IdSchema } from "@causette/contracts";

import { AppError, badRequest, signInFirst } from "../errors.ts";
import { servedContentType } from "../files/content-type.ts";
import type { ByteRange, FileStore } from "../files/file-store.ts";
import { THUMBNAIL_CONTENT_TYPE } from "../files/images.ts";
import { receiveUpload, type UploadLimits } from "../files/upload-receiver.ts";
import type { Logger } from "../logger.ts";
import { newStorageKey } from "../services/file.service.ts";
import type { Caller, Services } from "../services/index.ts";
import { sendError } from "./send-error.ts";

export interface FileRoutesDeps {
  services: Services;
  store: FileStore;
  limits: UploadLimits;
  /** The caller of the request's token, once checked (expired, revoked or orphaned tokens give null). */
  callerOf(req: Request, res: Response): Promise<Caller | null>;
  logger: Logger;
}

/**
 * The file routes, as Express handlers rather than tRPC procedures: tRPC reads a whole JSON body
 * and answers JSON, while these stream multipart bytes in and file bytes out, never holding a
 * whole file in memory. Authentication, errors and access rules are the same as everywhere else.
 */
export function mountFileRoutes(app: Express, deps: FileRoutesDeps): void {
  const { services, store, logger } = deps;

  async function callerOrRefuse(req: Request, res: Response): Promise<Caller> {
    const caller = await deps.callerOf(req, res);
    if (!caller) throw signInFirst();
    return caller;
  }

  /** An answer before the whole upload was read: the rest is not read, the connection closes after it. */
  function refuseUpload(req: Request, res: Response, error: unknown) {
    if (!req.complete) {
      res.setHeader("connection", "close");
      res.once("finish", () => req.socket.destroySoon());
    }
    sendError(res, error, logger);
  }

  app.post(fileRoutes.upload.path, async (req, res) => {
    try {
      const caller = await callerOrRefuse(req, res);
      const key = newStorageKey();
      const received = await receiveUpload(req, store, key, deps.limits);
      res.status(fileRoutes.upload.status).json(await services.files.create(caller, key, received));
    } catch (error) {
      refuseUpload(req, res, error);
    }
  });

  async function serve(req: Request, res: Response, thumbnail: boolean) {
    const caller = await callerOrRefuse(req, res);
    const id = IdSchema.safeParse(/^\d{1,16}$/.test(String(req.params.id)) ? Number(req.params.id) : NaN);
    if (!id.success) throw badRequest("id", "must be a file id");
    const file = await services.files.open(caller, id.data);
    res.setHeader("x-content-type-options", "nosniff");
    // Nothing served here may run as a page, whatever a browser makes of it.
    res.setHeader("content-security-policy", "default-src 'none'; sandbox");
    res.setHeader("cache-control", "private, no-cache");
    if (thumbnail) {
      if (!file.thumbnailKey) throw new AppError("NOT_FOUND", `File ${file.id} has no thumbnail`);
      res.setHeader("content-type", THUMBNAIL_CONTENT_TYPE);
      res.setHeader("content-disposition", contentDisposition(`${file.name}.webp`, { type: "inline" }));
      return send(req, res, file.thumbnailKey);
    }
    res.setHeader("content-type", servedContentType(file.contentType));
    res.setHeader("content-disposition", contentDisposition(file.name, { type: "attachment" }));
    res.setHeader("accept-ranges", "bytes");
    const ranges = req.range(file.size, { combine: true });
    if (ranges === -1) {
      res.setHeader("content-range", `bytes */${file.size}`);
      res.status(416).end();
      return;
    }
    // A malformed Range header, another unit, or several ranges get the whole file (RFC 9110 allows it).
    const range = Array.isArray(ranges) && ranges.type === "bytes" && ranges.length === 1 ? ranges[0] : undefined;
    if (range) {
      res.status(206);
      res.setHeader("content-range", `bytes ${range.start}-${range.end}/${file.size}`);
    }
    res.setHeader("content-length", String(range ? range.end - range.start + 1 : file.size));
    return send(req, res, file.storageKey, range);
  }

  async function send(req: Request, res: Response, key: string, range?: ByteRange) {
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const body = await store.get(key, range);
    // A failure halfway (the client leaves, the store fails) ends the response; both streams close.
    await pipeline(body, res).catch((error: unknown) => {
      if (!res.destroyed) logger.warn({ err: error }, "file download failed");
    });
  }

  for (const [path, thumbnail] of [
    [fileRoutes.thumbnail.path, true],
    [fileRoutes.download.path, false],
  ] as const) {
    app.get(path, async (req, res) => {
      try {
        await serve(req, res, thumbnail);
      } catch (error) {
        if (res.headersSent) res.destroy();
        else sendError(res, error, logger);
      }
    });
  }
}
