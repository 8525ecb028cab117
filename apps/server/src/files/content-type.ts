import { Transform, type TransformCallback } from "node:stream";
import { fileTypeFromBuffer } from "file-type";

import { AppError } from "../errors.ts";

/** How much of the start of a file is kept to recognize its type (file-type looks at most this far). */
const HEAD_BYTES = 64 * 1024;

/**
 * Passes a file's bytes through while counting them (past `maxBytes` it fails with 413 at once,
 * whatever was announced), keeping the first HEAD_BYTES to sniff the type, and checking whether
 * the whole file is UTF-8 text without NUL: memory stays bounded whatever the file's size.
 */
export class FileInspector extends Transform {
  size = 0;
  #head: Buffer[] = [];
  #headBytes = 0;
  #text = true;
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      callback(new AppError("PAYLOAD_TOO_LARGE", `The file is over the limit of ${this.maxBytes} bytes`));
      return;
    }
    if (this.#headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.#headBytes);
      this.#head.push(Buffer.from(part));
      this.#headBytes += part.length;
    }
    if (this.#text) this.#text = !chunk.includes(0) && this.#decodes(chunk, true);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#text) this.#text = this.#decodes(new Uint8Array(0), false);
    callback();
  }

  #decodes(bytes: Uint8Array, more: boolean): boolean {
    try {
      this.#decoder.decode(bytes, { stream: more });
      return true;
    } catch {
      return false;
    }
  }

  /** The type the bytes say, once they have all passed: never the one the client claimed. */
  async contentType(): Promise<string> {
    const known = await fileTypeFromBuffer(Buffer.concat(this.#head));
    if (known) return known.mime;
    return this.#text ? "text/plain" : "application/octet-stream";
  }
}

/** Types a browser could run as a page or a script (HTML, SVG, XML...): never served as such. */
const ACTIVE_CONTENT = /html|xml|svg|javascript|ecmascript|x-shockwave-flash|x-msdownload/i;

/** The content-type a file is served with: its sniffed type, made inert where it could be active. */
export function servedContentType(contentType: string): string {
  if (ACTIVE_CONTENT.test(contentType)) return "application/octet-stream";
  // text/plain is only ever sniffed for valid UTF-8.
  return contentType === "text/plain" ? "text/plain; charset=utf-8" : contentType;
}
