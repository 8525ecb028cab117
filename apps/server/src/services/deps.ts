import type { MemberChangeEvent, MemberLeftEvent, ReactionEvent, ReadMarker, RoomInfo } from "@causette/contracts";
import type { DatabasePool, MessageRow, RoomView } from "@causette/db";

import type { PasswordHasher } from "../auth/passwords.ts";
import type { TokenIssuer } from "../auth/tokens.ts";
import type { FileStore } from "../files/file-store.ts";
import type { RateLimits } from "../limits/rate-limits.ts";
import type { BatchObserver } from "./send-batcher.ts";

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
  /** A new room, to each member's private channel (`members`: every member's id). */
  roomCreated(room: RoomView, members: readonly number[]): void;
  readMarker(marker: ReadMarker): void;
  /** A member joined, or a member's role changed: to the room and to the member's own sockets. */
  memberJoined(event: MemberChangeEvent): void;
  /**
   * A member left or was removed: their sockets leave the room on every node before this resolves,
   * then the room and the member's own sockets are told.
   */
  memberLeft(event: MemberLeftEvent): Promise<void>;
  roomUpdated(room: RoomInfo, version: number): void;
  reaction(event: "reaction_added" | "reaction_removed", payload: ReactionEvent): void;
  /** `mention` to each of `userIds`' private channel. */
  mentioned(message: MessageRow, userIds: readonly number[]): void;
  /** Log-out: the user's token `jti`, or every token of the user, no longer opens anything. */
  tokensRevoked(revocation: TokenRevocation): void;
  /**
   * Who caused the write being announced (the socket that asked for an ack learns from its ack):
   * captured now, for an announcement made later from another write's turn (see RoomOrder).
   */
  captureOrigin(): (announce: () => void) => void;
}

export interface TokenRevocation {
  userId: number;
  /** One token; absent: every token of the user. */
  jti?: string;
}

export interface ServiceDeps {
  pool: DatabasePool;
  ping(): Promise<boolean>;
  /** Whether Redis is connected; undefined when no REDIS_URL is configured. */
  redisState(): "up" | "down" | undefined;
  hasher: PasswordHasher;
  tokens: TokenIssuer;
  limits: RateLimits;
  events: ChatEvents;
  startedAt: number;
  /** Told of each group-commit statement of sends (for metrics). */
  onSendBatch?: BatchObserver;
  /** The most members a group may hold. */
  maxGroupMembers: number;
  /** Where uploaded files' bytes live. */
  store: FileStore;
  /** Whether live events of a room leave in version order (default true; see RoomOrder). */
  orderRoomEvents?: boolean;
  /** The time, in ms since the epoch: tests move it to age uploads. */
  clock(): number;
}
