import type { IncomingMessage } from "node:http";
import busboy, { type Busboy } from "busboy";

import { UPLOAD_FIELD } from "@causette/contracts";

import { AppError, badRequest } from "../errors.ts";
import { FileInspector } from "./content-type.ts";
import type { FileStore } from "./file-store.ts";

export interface UploadLimits {
  maxBytes: number;
  /** A client that sends nothing for this long is cut off and its partial file removed. */
  idleTimeoutMs: number;
}

export interface ReceivedFile {
  name: string;
  size: number;
  contentType: string;
}

const MAX_NAME_LENGTH = 255;
// Control characters, and the bidirectional marks that make "exe.pdf" display as "fdp.exe".
const UNSAFE_CHARACTERS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The client's file name as shown to people: the last path segment only, without control or
 * bidirectional characters, leading dots or surrounding spaces. It is never used as a path.
 */
function safeFileName(raw: string | undefined): string {
  const base = (raw ?? "").split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .normalize("NFC")
    .replace(UNSAFE_CHARACTERS, "")
    .replace(/^[\s.]+/, "")
    .trim();
  return [...cleaned].slice(0, MAX_NAME_LENGTH).join("") || "file";
}

function createParser(req: IncomingMessage): Busboy {
  if (!/^multipart\/form-data\b/i.test(req.headers["content-type"] ?? "")) {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      `Send the file as multipart/form-data, in a part named ${UPLOAD_FIELD}`,
    );
  }
  try {
    // One file part. A second part is read only far enough to refuse it (busboy's limits fire when
    // a part beyond them begins), never buffered.
    // Browsers send file names as raw UTF-8 (busboy's default would read them as Latin-1).
    return busboy({
      headers: req.headers,
      defParamCharset: "utf8",
      limits: { files: 1, fields: 0, parts: 2, headerPairs: 16 },
    });
  } catch (error) {
    throw badRequest(UPLOAD_FIELD, `the multipart body cannot be read (${(error as Error).message})`);
  }
}

/**
 * Streams the one `file` part of a multipart request into `store` under `key`, never holding the
 * whole file: over `maxBytes` fails with 413 while streaming, a stall past `idleTimeoutMs` with
 * 408, a cut or malformed body with 400. Whatever the failure, it rejects only once nothing is left
 * under `key`.
 */
export async function receiveUpload(
  req: IncomingMessage,
  store: FileStore,
  key: string,
  limits: UploadLimits,
): Promise<ReceivedFile> {
  const parser = createParser(req);
  let storing: Promise<ReceivedFile> | undefined;
  let inspector: FileInspector | undefined;
  let failure: unknown;
  let reject: (error: unknown) => void = () => {};
  const parsed = new Promise<void>((resolve, fail) => {
    parser.once("close", resolve);
    reject = fail;
  });

  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = error;
    req.unpipe(parser);
    inspector?.destroy(error as Error);
    reject(error);
  };

  let timer: NodeJS.Timeout | undefined;
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => fail(new AppError("TIMEOUT", `The upload stalled: nothing received for ${limits.idleTimeoutMs} ms`)),
      limits.idleTimeoutMs,
    );
  };
  const interrupted = () => {
    if (!req.complete) fail(badRequest(UPLOAD_FIELD, "the upload was interrupted"));
  };
  // Once the whole body is in, only the store is left to finish: no more client time-out.
  const received = () => clearTimeout(timer);

  parser.on("file", (field, stream, info) => {
    if (field !== UPLOAD_FIELD) {
      stream.resume();
      fail(badRequest(UPLOAD_FIELD, `the file must be sent in a part named ${UPLOAD_FIELD}, not ${field}`));
      return;
    }
    const current = new FileInspector(limits.maxBytes);
    inspector = current;
    stream.on("error", (error) => current.destroy(error));
    stream.pipe(current);
    const put = store.put(key, current).then(async () => ({
      name: safeFileName(info.filename),
      size: current.size,
      contentType: await current.contentType(),
    }));
    storing = put;
    put.catch(fail);
  });
  parser.on("filesLimit", () => fail(badRequest(UPLOAD_FIELD, "send one file per upload")));
  parser.on("fieldsLimit", () => fail(badRequest(UPLOAD_FIELD, `send only the part ${UPLOAD_FIELD}`)));
  parser.on("error", (error: Error) =>
    fail(badRequest(UPLOAD_FIELD, `the multipart body is malformed or cut short (${error.message})`)),
  );
  req.on("data", idle);
  req.once("end", received);
  req.on("close", interrupted);
  idle();
  req.pipe(parser);

  try {
    await parsed;
    if (!storing) throw badRequest(UPLOAD_FIELD, "required: a part named file");
    const file = await storing;
    if (file.size === 0) throw badRequest(UPLOAD_FIELD, "the file is empty");
    return file;
  } catch (error) {
    fail(error);
    // A failed write cleans up after itself; one that completed before the failure is removed.
    if (
      await storing?.then(
        () => true,
        () => false,
      )
    )
      await store.remove(key);
    throw failure;
  } finally {
    clearTimeout(timer);
    req.off("data", idle);
    req.off("end", received);
    req.off("close", interrupted);
  }
}
