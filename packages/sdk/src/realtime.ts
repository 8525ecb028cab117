import { WebSocket as WebSocketTransport } from "engine.io-client";
import { io, type Socket } from "socket.io-client";

import {
  HANDSHAKE_UNAUTHORIZED,
  type Ack,
  type ClientToServerEvents,
  type MemberLeftEvent,
  type Message,
  type ServerToClientEvents,
} from "@causette/contracts";

import { ChatError, fromErrorBody, toChatError } from "./errors.ts";
import { newClientId, retry } from "./http.ts";
import { RoomTracker, type RoomBaseline, type TrackedEvent } from "./room-tracker.ts";
import { tokenSubject } from "./token.ts";
import type { RealtimeApi, RealtimeEventName, RealtimeEvents, WebSocketConstructor } from "./types.ts";

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface RealtimeOptions {
  url: string;
  token: () => string | null;
  /** The room's version, highest message id and participants, read right after joining it. */
  baseline: (roomId: number) => Promise<RoomBaseline>;
  WebSocket?: WebSocketConstructor;
  transports?: Array<"websocket" | "polling">;
  timeout: number;
  retries: number;
  retryDelay: number;
}

interface JoinedRoom {
  /** Set once the baseline is known. */
  tracker?: RoomTracker;
  /** While joining or catching up, live events wait here so that they come after what was missed. */
  held: TrackedEvent[] | null;
}

const TRACKED = ["receive_message", "message_updated", "message_deleted", "message_state_update"] as const;
const PASSED_THROUGH = ["typing", "presence", "room_created", "room_updated", "member_joined", "read_marker"] as const;

/** A transport that opens sockets with the constructor the app gave. */
function transportFor(Ctor: WebSocketConstructor) {
  return class CustomWebSocket extends WebSocketTransport {
    override createSocket(uri: string, protocols: string | string[] | undefined) {
      return (protocols ? new Ctor(uri, protocols) : new Ctor(uri)) as ReturnType<WebSocketTransport["createSocket"]>;
    }
  };
}

export function createRealtime(options: RealtimeOptions): RealtimeApi {
  let socket: ClientSocket | null = null;
  /** Bumped on every (re)connection: a catch-up from an older connection stops where it is. */
  let epoch = 0;
  let everConnected = false;
  const rooms = new Map<number, JoinedRoom>();
  const listeners = new Map<RealtimeEventName, Set<(...args: never[]) => void>>();

  function emit<E extends RealtimeEventName>(event: E, ...args: Parameters<RealtimeEvents[E]>): void {
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        (listener as (...a: Parameters<RealtimeEvents[E]>) => void)(...args);
      } catch (error) {
        // A throwing listener must not stop the others, nor the SDK's bookkeeping.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  function deliver(item: TrackedEvent): void {
    if (item.event === "message_state_update") emit(item.event, item.payload);
    else emit(item.event, item.payload);
  }

  function incoming(item: TrackedEvent): void {
    const room = rooms.get(item.payload.roomId);
    if (!room) return deliver(item);
    if (room.held) {
      room.held.push(item);
      return;
    }
    if (room.tracker!.accept(item)) deliver(item);
  }

  /** The room is no longer this user's: stop following it and tell the app, once. */
  function dropRoom(roomId: number, reason: MemberLeftEvent["reason"]): void {
    if (!rooms.delete(roomId)) return;
    emit("room_removed", { roomId, reason });
  }

  /** A member left: the app hears it; when it is this user, the room stops here. */
  function memberLeft(event: MemberLeftEvent): void {
    emit("member_left", event);
    if (event.userId === tokenSubject(options.token())) dropRoom(event.roomId, event.reason);
  }

  function release(room: JoinedRoom): void {
    const held = room.held ?? [];
    room.held = null;
    for (const item of held) if (room.tracker!.accept(item)) deliver(item);
  }

  /** The socket, connected or reconnecting (an emit then waits for the connection, within the time-out). */
  function requireSocket(): ClientSocket {
    if (!socket || (!socket.connected && !socket.active)) {
      throw new ChatError("NETWORK", "Not connected: call realtime.connect() first", { status: 0 });
    }
    return socket;
  }

  /** One acknowledged emit; a refusal becomes the server's ChatError, no answer a TIMEOUT. */
  async function request<T>(event: keyof ClientToServerEvents, payload: unknown): Promise<T> {
    const s = requireSocket();
    let ack: Ack<T>;
    try {
      ack = await (
        s.timeout(options.timeout) as unknown as { emitWithAck(e: string, p: unknown): Promise<Ack<T>> }
      ).emitWithAck(event, payload);
    } catch (error) {
      // socket.io rejects on its time-out, and when the socket closes with the ack still pending.
      if (error instanceof Error && /timed out/i.test(error.message)) {
        throw new ChatError("TIMEOUT", `No answer to ${event} within ${options.timeout} ms`, {
          status: 0,
          cause: error,
        });
      }
      throw new ChatError(
        "NETWORK",
        `No answer to ${event}: ${error instanceof Error ? error.message : String(error)}`,
        { status: 0, cause: error },
      );
    }
    if (!ack.ok) throw fromErrorBody(ack.error);
    return ack.data;
  }

  /** Joins (again) and, for a room already tracked, delivers what it missed since its version. */
  async function establish(roomId: number, room: JoinedRoom, connection: number): Promise<void> {
    await request<null>("join_room", roomId);
    if (connection !== epoch) return;
    if (!room.tracker) {
      room.tracker = new RoomTracker(roomId, await options.baseline(roomId));
      if (connection === epoch) release(room);
      return;
    }
    const changes = await request<Parameters<RoomTracker["catchUp"]>[0]>("sync", {
      roomId,
      since: room.tracker.version,
    });
    if (connection !== epoch || rooms.get(roomId) !== room) return;
    const missed = room.tracker.catchUp(changes);
    for (const item of missed) deliver(item);
    // Membership changes missed while away, as the live events would have told them.
    for (const change of changes.members ?? []) {
      if (change.status === "member") {
        emit("member_joined", { roomId, user: change.user, role: change.role!, version: change.version });
      } else {
        memberLeft({ roomId, userId: change.user.id, reason: change.status, version: change.version });
      }
    }
    if (!rooms.has(roomId)) return;
    release(room);
    emit("synced", { roomId, version: room.tracker.version, missed: missed.length });
  }

  async function resync(connection: number): Promise<void> {
    await Promise.all(
      [...rooms].map(async ([roomId, room]) => {
        try {
          await retry(() => {
            if (connection !== epoch) return Promise.resolve();
            return establish(roomId, room, connection);
          }, options);
        } catch (error) {
          if (connection !== epoch) return;
          const chatError = toChatError(error);
          // A room we may no longer see is forgotten; anything else keeps it for the next reconnect.
          // A room never established (its join was in flight) is dropped too: join it again.
          if (chatError.code === "NOT_FOUND" || chatError.code === "FORBIDDEN") dropRoom(roomId, "removed");
          else if (!room.tracker) rooms.delete(roomId);
          else release(room);
          emit("error", chatError);
        }
      }),
    );
  }

  function createSocket(): ClientSocket {
    // A path in the URL is where the server is mounted, not a socket.io namespace.
    const base = new URL(options.url);
    const s: ClientSocket = io(base.origin, {
      path: `${base.pathname.replace(/\/+$/, "")}/socket.io`,
      autoConnect: false,
      forceNew: true,
      auth: (cb) => {
        const token = options.token();
        cb(token ? { token } : {});
      },
      // With a WebSocket constructor of the app's, real time goes over it alone.
      transports: options.WebSocket
        ? [transportFor(options.WebSocket)]
        : (options.transports ?? ["websocket", "polling"]),
      tryAllTransports: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      timeout: options.timeout,
    });
    s.on("connect", () => {
      epoch += 1;
      const connection = epoch;
      if (everConnected) {
        for (const room of rooms.values()) room.held ??= [];
        void resync(connection);
      }
      everConnected = true;
      emit("connect");
    });
    s.on("disconnect", (reason) => {
      emit("disconnect", reason);
      // The server closed this socket on purpose (not a network drop): socket.io will not retry, so we do.
      if (reason === "io server disconnect") s.connect();
    });
    s.on("connect_error", (error) => {
      if (error.message === HANDSHAKE_UNAUTHORIZED)
        emit("error", new ChatError("UNAUTHORIZED", "The server refused the token", { cause: error }));
    });
    for (const event of TRACKED) {
      s.on(event, ((payload: TrackedEvent["payload"]) => incoming({ event, payload } as TrackedEvent)) as never);
    }
    s.on("member_left", memberLeft);
    for (const event of PASSED_THROUGH) {
      s.on(event, ((payload: never) => (emit as (e: string, p: unknown) => void)(event, payload)) as never);
    }
    return s;
  }

  return {
    get connected() {
      return socket?.connected ?? false;
    },

    connect() {
      if (socket?.connected) return Promise.resolve();
      socket ??= createSocket();
      const s = socket;
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          s.off("connect", onConnect);
          s.off("connect_error", onError);
        };
        const onConnect = () => {
          done();
          resolve();
        };
        const onError = (error: Error) => {
          done();
          // The first attempt decides: stop socket.io's retries and tell the caller.
          s.disconnect();
          if (error.message === HANDSHAKE_UNAUTHORIZED)
            reject(new ChatError("UNAUTHORIZED", "The server refused the token: log in first", { cause: error }));
          else if (error.message === "timeout")
            reject(new ChatError("TIMEOUT", "The server did not answer in time", { status: 0, cause: error }));
          else
            reject(
              new ChatError("NETWORK", `Could not reach the server: ${error.message}`, { status: 0, cause: error }),
            );
        };
        s.on("connect", onConnect);
        s.on("connect_error", onError);
        s.connect();
      });
    },

    disconnect() {
      epoch += 1;
      socket?.disconnect();
      socket?.removeAllListeners();
      socket = null;
      everConnected = false;
      rooms.clear();
    },

    async joinRoom(roomId) {
      requireSocket();
      if (rooms.has(roomId)) return;
      const room: JoinedRoom = { held: [] };
      rooms.set(roomId, room);
      try {
        await establish(roomId, room, epoch);
      } catch (error) {
        if (rooms.get(roomId) === room) {
          rooms.delete(roomId);
          // The join may have gone through before the baseline failed: undo it.
          void request("leave_room", roomId).catch(() => undefined);
        }
        throw toChatError(error);
      }
    },

    async leaveRoom(roomId) {
      rooms.delete(roomId);
      await request<null>("leave_room", roomId);
    },

    async sendMessage(input) {
      const payload = { ...input, clientId: input.clientId ?? newClientId() };
      const message = await retry(() => request<Message>("send_message", payload), options);
      rooms.get(message.roomId)?.tracker?.recordOwn(message);
      return message;
    },

    async setState(input) {
      const message = await request<Message>("message_state", input);
      rooms.get(message.roomId)?.tracker?.recordOwnReceipt(message);
      return message;
    },

    async typing(input) {
      await request<null>("typing", input);
    },

    sync(input) {
      return request("sync", input);
    },

    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (...args: never[]) => void);
      return () => set.delete(listener as (...args: never[]) => void);
    },

    off(event, listener) {
      listeners.get(event)?.delete(listener as (...args: never[]) => void);
    },
  };
}
