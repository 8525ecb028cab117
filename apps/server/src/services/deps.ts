import type { DatabasePool, MessageRow, RoomView } from "@causette/db";

import type { LoginLimiter } from "../auth/login-limiter.ts";
import type { PasswordHasher } from "../auth/passwords.ts";
import type { TokenIssuer } from "../auth/tokens.ts";
import type { FileStore } from "../files/file-store.ts";

/** Who is calling: every service function but sign-up, log-in and health takes one. */
export interface Caller {
  userId: number;
}

export interface StateChange {
  roomId: number;
  messageId: number;
  state: MessageRow["state"];
  version: number;
  /** Who moved it: the recipient. */
  userId: number;
}

/**
 * What services announce after a write has committed. The real-time layer implements it; the
 * services never know which surface the write came from.
 */
export interface ChatEvents {
  messageCreated(message: MessageRow): void;
  messageUpdated(message: MessageRow): void;
  messageDeleted(message: MessageRow): void;
  stateChanged(change: StateChange, touched: readonly MessageRow[]): void;
  roomCreated(room: RoomView): void;
}

export interface ServiceDeps {
  pool: DatabasePool;
  ping(): Promise<boolean>;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  loginLimiter: LoginLimiter;
  events: ChatEvents;
  startedAt: number;
  /** Where uploaded files' bytes live. */
  store: FileStore;
  /** The time, in ms since the epoch: tests move it to age uploads. */
  clock(): number;
}
