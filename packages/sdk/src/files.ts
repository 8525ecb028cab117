import { filePath, fileRoutes, UPLOAD_FIELD, type FileInfo } from "@causette/contracts";

import { ChatError, fromErrorBody, toChatError } from "./errors.ts";

/** What `files.upload` sends: a Blob or File, a web ReadableStream, or a Node stream (any async iterable of bytes). */
export type UploadSource = Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadProgress {
  /** Bytes of the file sent so far. */
  loaded: number;
  /** The file's size, when known (a Blob); undefined for a stream. */
  total: number | undefined;
}

export interface UploadOptions {
  /** Called as the upload goes out (in browsers, from XMLHttpRequest's upload events). */
  onProgress?: (progress: UploadProgress) => void;
  /** Aborts the upload; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface FilesApi {
  /**
   * Uploads one file (`POST /api/files`), streaming it: the answer is its id, to pass in a send's
   * `attachments`. Fails with PAYLOAD_TOO_LARGE past the server's limit, BAD_REQUEST when empty.
   */
  upload(source: UploadSource, name: string, options?: UploadOptions): Promise<FileInfo>;
  /** The file's URL (or its thumbnail's); it needs the token, as `download` sends it. */
  url(id: number, options?: { thumbnail?: boolean }): string;
  /** The file's bytes (or its thumbnail's), to the uploader and to members of a room holding it. */
  download(id: number, options?: { thumbnail?: boolean }): Promise<Blob>;
}

interface FilesOptions {
  url: string;
  token: () => string | null;
  fetch?: typeof globalThis.fetch;
}

const encoder = new TextEncoder();

/** A file name in a multipart header, escaped as browsers do (WHATWG's form-data encoding). */
const quoted = (name: string) => name.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

function boundary(): string {
  let value = "causette-";
  for (let i = 0; i < 24; i += 1) value += Math.floor(Math.random() * 36).toString(36);
  return value;
}

async function* chunksOf(source: Exclude<UploadSource, Blob>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in source) {
    yield* source as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (source as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** A multipart/form-data body with one part `file`, produced as the source is read: nothing is held whole. */
function multipartStream(
  source: UploadSource,
  name: string,
  separator: string,
  progress: (loaded: number) => void,
): ReadableStream<Uint8Array> {
  const head = encoder.encode(
    `--${separator}\r\ncontent-disposition: form-data; name="${UPLOAD_FIELD}"; filename="${quoted(name)}"\r\n` +
      `content-type: application/octet-stream\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${separator}--\r\n`);
  const chunks = chunksOf(source instanceof Blob ? source.stream() : source);
  let loaded = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(head);
        return;
      }
      const next = await chunks.next();
      if (next.done) {
        controller.enqueue(tail);
        controller.close();
        return;
      }
      loaded += next.value.byteLength;
      progress(loaded);
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      await chunks.return(reason);
    },
  });
}

async function answerOf(response: Response): Promise<FileInfo> {
  const body = (await response.json().catch(() => null)) as
    (FileInfo & { error?: { code: string; message: string } }) | null;
  if (response.ok && body) return body;
  if (body?.error) throw fromErrorBody(body.error, response.status);
  throw new ChatError(response.status >= 500 ? "INTERNAL_SERVER_ERROR" : "BAD_REQUEST", `HTTP ${response.status}`, {
    status: response.status,
  });
}

/** The browser path: XMLHttpRequest, the one browser API that reports upload progress. */
function uploadWithXhr(url: string, token: string | null, body: Blob, name: string, options: UploadOptions) {
  return new Promise<FileInfo>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(fileRoutes.upload.method.toUpperCase(), url);
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    // The events count the whole multipart body: reported in bytes of the file, as in Node.
    xhr.upload.onprogress = (event) =>
      options.onProgress?.({
        loaded: event.lengthComputable ? Math.min(body.size, Math.round((event.loaded * body.size) / event.total)) : 0,
        total: body.size,
      });
    xhr.onload = () => {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { "content-type": "application/json" },
      });
      answerOf(response).then(resolve, reject);
    };
    xhr.onerror = () => reject(new ChatError("NETWORK", "Could not reach the server", { status: 0 }));
    xhr.onabort = () =>
      reject(
        options.signal?.reason instanceof Error
          ? options.signal.reason
          : new ChatError("NETWORK", "The upload was aborted"),
      );
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append(UPLOAD_FIELD, body, name);
    xhr.send(form);
  });
}

export function createFiles(options: FilesOptions): FilesApi {
  const doFetch = (...args: Parameters<typeof fetch>) => (options.fetch ?? globalThis.fetch)(...args);
  const authorization = (): Record<string, string> => {
    const token = options.token();
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  const url: FilesApi["url"] = (id, { thumbnail = false } = {}) => `${options.url}${filePath(id, thumbnail)}`;

  return {
    async upload(source, name, uploadOptions = {}) {
      const target = `${options.url}${fileRoutes.upload.path}`;
      if (typeof XMLHttpRequest !== "undefined") {
        // Browsers stream a request body only over HTTP/2: a stream is gathered into a Blob first.
        const blob = source instanceof Blob ? source : await new Response(source as ReadableStream).blob();
        return uploadWithXhr(target, options.token(), blob, name, uploadOptions);
      }
      const separator = boundary();
      const total = source instanceof Blob ? source.size : undefined;
      const body = multipartStream(source, name, separator, (loaded) => uploadOptions.onProgress?.({ loaded, total }));
      try {
        const response = await doFetch(target, {
          method: "POST",
          headers: { ...authorization(), "content-type": `multipart/form-data; boundary=${separator}` },
          body,
          // Node's fetch streams a request body only in half-duplex mode.
          duplex: "half",
          ...(uploadOptions.signal ? { signal: uploadOptions.signal } : {}),
        } as RequestInit);
        return await answerOf(response);
      } catch (error) {
        throw toChatError(error);
      }
    },
    url,
    async download(id, downloadOptions) {
      try {
        const response = await doFetch(url(id, downloadOptions), { headers: authorization() });
        if (!response.ok) await answerOf(response);
        return await response.blob();
      } catch (error) {
        throw toChatError(error);
      }
    },
  };
}
