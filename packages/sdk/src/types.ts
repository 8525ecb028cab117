import type {
  Changes,
  ChangesInput,
  GroupCreateInput,
  Health,
  LoginInput,
  LoginOutput,
  MarkReadInput,
  Member,
  MemberListInput,
  MemberRefInput,
  MembersAddInput,
  MemberSetRoleInput,
  Message,
  MessageEditInput,
  MessageListInput,
  MessageSearchInput,
  MessageSetStateInput,
  PublicRoom,
  PublicRoomListInput,
  Receipt,
  RegisterInput,
  Room,
  RoomCreateInput,
  RoomListInput,
  RoomUpdateInput,
  SendMessageInput,
  ServerToClientEvents,
  SocketMessageState,
  SocketSendMessage,
  SyncInput,
  TypingInput,
  User,
  UserListInput,
} from "@causette/contracts";

import type { ChatError } from "./errors.ts";
import type { FilesApi } from "./files.ts";

/** Options of one call, after its input (as openai-node has them). */
export interface RequestOptions {
  /** Aborts the call (and its retries): it rejects with a `ChatError` whose code is `ABORTED`. */
  signal?: AbortSignal;
  /** How long this call's each attempt may take, in ms (default: the client's `timeout`). */
  timeout?: number;
  /**
   * Retries after `NETWORK`, `TIMEOUT` or `SERVICE_UNAVAILABLE` (default: the client's `retries` for
   * reads and sends, which are safe to repeat; 0 for other writes).
   */
  maxRetries?: number;
}

/** A WebSocket constructor, for platforms without a global one (or to supply your own). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

export interface ChatClientOptions {
  /** The server's base URL, e.g. `http://localhost:5050` (tRPC is under `/trpc`, socket.io on the same port). */
  url: string;
  /** A token kept from an earlier session (see `onTokenChange`). */
  token?: string | null;
  /** Called whenever the token changes (login, logout, `auth.setToken`), to persist it. */
  onTokenChange?: (token: string | null) => void;
  /** The fetch implementation for HTTP calls (default: the global `fetch`). */
  fetch?: typeof globalThis.fetch;
  /** The WebSocket constructor for real time (default: the platform's, or `ws` in Node); real time then uses it alone. */
  WebSocket?: WebSocketConstructor;
  /** socket.io transports, in the order tried (default: websocket, then HTTP long-polling). */
  transports?: Array<"websocket" | "polling">;
  /** How long an HTTP call or a socket acknowledgement may take, in ms (default 10 000). */
  timeout?: number;
  /**
   * How many times a read or a send is retried after a network error, a time-out or
   * `SERVICE_UNAVAILABLE` (default 3); other writes are not retried unless a call's `maxRetries` says.
   */
  retries?: number;
  /** The first pause between two attempts, in ms, doubled each time (default 250; at least the server's `retryAfter`). */
  retryDelay?: number;
}

/** The input of `users.list`, every field optional. */
export type UserListOptions = UserListInput;

/** `send` with `clientId` optional: the SDK adds one (a UUID) and keeps it across retries. */
export type SendInput = SendMessageInput;
/** `send_message`'s payload; `clientId` optional as for `messages.send`. */
export type RealtimeSendInput = SocketSendMessage;

export interface AuthApi {
  /** Signs up (`POST /api/user`). Does not log in. */
  register(input: RegisterInput, options?: RequestOptions): Promise<User>;
  /** Logs in and keeps the token for every later call and for the socket. */
  login(input: LoginInput, options?: RequestOptions): Promise<LoginOutput>;
  /**
   * Logs out: the server revokes the token (with `all`, every token of the user, ending their
   * sockets everywhere), real time disconnects, and the kept token is cleared.
   */
  logout(input?: { all?: boolean }, options?: RequestOptions): Promise<void>;
  /** The token in use, or null. */
  token(): string | null;
  /** Replaces the token (a stored one, say); real time reconnects with it on its next connection. */
  setToken(token: string | null): void;
}

export interface UsersApi {
  list(input?: UserListOptions, options?: RequestOptions): Promise<User[]>;
  me(options?: RequestOptions): Promise<User>;
  get(id: number, options?: RequestOptions): Promise<User>;
}

export interface MembersApi {
  /** A page of the room's members by user id (`after` a user id; `limit` default 100, max 500). */
  list(input: MemberListInput, options?: RequestOptions): Promise<Member[]>;
  /** Adds users to a group (owner or admin); answers those who were not members yet. */
  add(input: MembersAddInput, options?: RequestOptions): Promise<Member[]>;
  /** Removes a member (owner or admin; nobody removes the owner). */
  remove(input: MemberRefInput, options?: RequestOptions): Promise<void>;
  /** Makes a member an admin or an admin a member (owner only). */
  setRole(input: MemberSetRoleInput, options?: RequestOptions): Promise<Member>;
}

export interface RoomsApi {
  /** `{ participant }`: the direct room of the pair, created or existing; `{ name, participants }`: a new group. */
  create(input: RoomCreateInput, options?: RequestOptions): Promise<Room>;
  /** A new group the caller owns, with `participants` as members. */
  createGroup(input: GroupCreateInput, options?: RequestOptions): Promise<Room>;
  /** The caller's rooms, most recent activity first; page with `limit` and `before` (a room id). */
  list(input?: RoomListInput, options?: RequestOptions): Promise<Room[]>;
  /** One of the caller's rooms. */
  get(id: number, options?: RequestOptions): Promise<Room>;
  /** Renames a group or changes its topic or visibility (owner or admin). */
  update(input: RoomUpdateInput, options?: RequestOptions): Promise<Room>;
  /** Leaves a group (an owner hands it to the oldest admin, else the oldest member). */
  leave(id: number, options?: RequestOptions): Promise<void>;
  /** Public groups the caller can join; `search` matches name and topic. */
  discover(input?: PublicRoomListInput, options?: RequestOptions): Promise<PublicRoom[]>;
  /** Joins a public group. */
  join(id: number, options?: RequestOptions): Promise<Room>;
  members: MembersApi;
  /** Every message changed in the room after version `since`, and the room's current version. */
  changes(input: ChangesInput, options?: RequestOptions): Promise<Changes>;
  /** Marks `messageId` and every earlier message from the other members read. */
  markRead(input: MarkReadInput, options?: RequestOptions): Promise<Message>;
}

export interface MessagesApi {
  /** Sends; adds a `clientId` when missing and retries network failures with it, so it is stored once. */
  send(input: SendInput, options?: RequestOptions): Promise<Message>;
  /** Oldest first: the latest `limit`, or those just `before` or `after` a message id. */
  list(input: MessageListInput, options?: RequestOptions): Promise<Message[]>;
  edit(input: MessageEditInput, options?: RequestOptions): Promise<Message>;
  setState(input: MessageSetStateInput, options?: RequestOptions): Promise<Message>;
  /** Leaves a tombstone (`deletedAt` set, text emptied) and answers it. */
  delete(id: number, options?: RequestOptions): Promise<Message>;
  search(input: MessageSearchInput, options?: RequestOptions): Promise<Message[]>;
  /** How far each other member got with the message: `[{ userId, state }]`. */
  receipts(id: number, options?: RequestOptions): Promise<Receipt[]>;
  /** Same as `rooms.changes`. */
  changes(input: ChangesInput, options?: RequestOptions): Promise<Changes>;
  /** Same as `rooms.markRead`. */
  markRead(input: MarkReadInput, options?: RequestOptions): Promise<Message>;
}

/** Events the SDK adds to the server's: its own connection's life. */
export interface LifecycleEvents {
  /** Connected (first time or after a reconnect). */
  connect: () => void;
  /** The connection dropped; `reason` is socket.io's. The SDK reconnects unless you disconnected. */
  disconnect: (reason: string) => void;
  /** Something failed in the background (a reconnect refused, a catch-up that failed). */
  error: (error: ChatError) => void;
  /** A joined room caught up after a reconnect: `missed` events were delivered, up to `version`. */
  synced: (info: { roomId: number; version: number; missed: number }) => void;
  /**
   * This user is no longer in a room the SDK had joined (they left, were removed, or the room was
   * found gone on a reconnect): the SDK stopped following it. Drop it from the app's state.
   */
  room_removed: (info: { roomId: number; reason: "left" | "removed" }) => void;
}

/** Every event `realtime.on` takes: the server's events, typed from the contracts, and the SDK's own. */
export type RealtimeEvents = ServerToClientEvents & LifecycleEvents;
export type RealtimeEventName = keyof RealtimeEvents;

export interface RealtimeApi {
  /** Connects with the current token; rejects with `UNAUTHORIZED`, `NETWORK` or `TIMEOUT`. */
  connect(): Promise<void>;
  /** Disconnects and forgets the joined rooms. */
  disconnect(): void;
  readonly connected: boolean;
  /** Joins a room's events; after a reconnect the SDK rejoins it and delivers what it missed. */
  joinRoom(roomId: number): Promise<void>;
  leaveRoom(roomId: number): Promise<void>;
  /** Sends through the socket; resolves with the stored message. Retried with the same `clientId`. */
  sendMessage(input: RealtimeSendInput): Promise<Message>;
  /** Moves a received message's state (and every earlier one from the same sender). */
  setState(input: SocketMessageState): Promise<Message>;
  typing(input: TypingInput): Promise<void>;
  /** The changes after `since` in a room (what the SDK itself uses to catch up). */
  sync(input: SyncInput): Promise<Changes>;
  /** Adds a listener; returns a function that removes it. */
  on<E extends RealtimeEventName>(event: E, listener: RealtimeEvents[E]): () => void;
  off<E extends RealtimeEventName>(event: E, listener: RealtimeEvents[E]): void;
}

export interface SystemApi {
  health(options?: RequestOptions): Promise<Health>;
}

export interface ChatClient {
  auth: AuthApi;
  users: UsersApi;
  rooms: RoomsApi;
  messages: MessagesApi;
  /** Uploads and downloads (`/api/files`): attach an upload's id to a send's `attachments`. */
  files: FilesApi;
  realtime: RealtimeApi;
  system: SystemApi;
}
