import type { Readable } from "node:stream";

/** Bytes `start` to `end`, both included, as HTTP ranges count them. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where the bytes of uploaded files live: the local disk (the default) or an S3-compatible bucket.
 * Keys are chosen by the server, never derived from anything a client sent.
 */
export interface FileStore {
  readonly kind: "disk" | "s3";
  /**
   * Stores `body` under `key`, streaming. Resolves once the bytes are stored; if `body` fails
   * (too large, stalled, cut short) it rejects with that error and nothing is left under `key`.
   */
  put(key: string, body: Readable): Promise<void>;
  /** The bytes under `key`, or those of `range`; rejects when there is no such key. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes `key`; nothing happens when it is not there. */
  remove(key: string): Promise<void>;
  /** Every key the store holds, partial writes included: what is left is what the store costs. */
  keys(): Promise<string[]>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Keys are ours (random ids), but a store refuses anything that could name a path elsewhere. */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  return key;
}
