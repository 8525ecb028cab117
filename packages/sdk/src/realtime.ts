import { HANDSHAKE_UNAUTHORIZED, type ClientEventName, type ClientEventPayload } from "@causette/contracts";

import { ChatError } from "./errors.ts";
import { newClientId, retry } from "./http.ts";
import { JoinedRooms } from "./joined-rooms.ts";
import { Listeners } from "./realtime-listeners.ts";
import { ackedEmit, openSocket, type ClientSocket, type SocketOptions } from "./realtime-socket.ts";
import type { RoomBaseline } from "./room-tracker.ts";
import { tokenSubject } from "./token.ts";
import type { RealtimeApi } from "./types.ts";

export interface RealtimeOptions extends SocketOptions {
  /** The room's version, highest message id and participants, read right after joining it. */
  baseline: (roomId: number) => Promise<RoomBaseline>;
  retries: number;
  retryDelay: number;
}

/** Why a first connection failed, as the ChatError `connect()` rejects with. */
function connectError(error: Error): ChatError {
  if (error.message === HANDSHAKE_UNAUTHORIZED)
    return new ChatError("UNAUTHORIZED", "The server refused the token: log in first", { cause: error });
  if (error.message === "timeout")
    return new ChatError("TIMEOUT", "The server did not answer in time", { status: 0, cause: error });
  return new ChatError("NETWORK", `Could not reach the server: ${error.message}`, { status: 0, cause: error });
}

export function createRealtime(options: RealtimeOptions): RealtimeApi {
  let socket: ClientSocket | null = null;
  /** Bumped on every (re)connection: a catch-up from an older connection stops where it is. */
  let epoch = 0;
  let everConnected = false;
  const listeners = new Listeners();
  const rooms = new JoinedRooms({
    request,
    baseline: options.baseline,
    epoch: () => epoch,
    userId: () => tokenSubject(options.token()),
    listeners,
    retries: options.retries,
    retryDelay: options.retryDelay,
  });

  /** The socket, connected or reconnecting (an emit then waits for the connection, within the time-out). */
  function requireSocket(): ClientSocket {
    if (!socket || (!socket.connected && !socket.active)) {
      throw new ChatError("NETWORK", "Not connected: call realtime.connect() first", { status: 0 });
    }
    return socket;
  }

  async function request<E extends ClientEventName>(event: E, payload: ClientEventPayload<E>) {
    return ackedEmit(requireSocket(), event, payload, options.timeout);
  }

  function createSocket(): ClientSocket {
    const s = openSocket(options);
    s.on("connect", () => {
      epoch += 1;
      if (everConnected) void rooms.resync(epoch);
      everConnected = true;
      listeners.emit("connect");
    });
    s.on("disconnect", (reason) => {
      listeners.emit("disconnect", reason);
      // The server closed this socket on purpose (not a network drop): socket.io will not retry, so we do.
      if (reason === "io server disconnect") s.connect();
    });
    s.on("connect_error", (error) => {
      if (error.message !== HANDSHAKE_UNAUTHORIZED) return;
      // On a connected socket, the server ended the session (token revoked or expired): socket.io
      // stops listening but still calls itself connected. Close it, so `connected` and the
      // "disconnect" event say so, and nothing retries with the dead token.
      if (s.connected) s.disconnect();
      listeners.emit("error", new ChatError("UNAUTHORIZED", "The server refused the token", { cause: error }));
    });
    s.on("receive_message", (payload) => rooms.incoming({ event: "receive_message", payload }));
    s.on("message_updated", (payload) => rooms.incoming({ event: "message_updated", payload }));
    s.on("message_deleted", (payload) => rooms.incoming({ event: "message_deleted", payload }));
    s.on("message_state_update", (payload) => rooms.incoming({ event: "message_state_update", payload }));
    s.on("typing", (payload) => listeners.emit("typing", payload));
    s.on("presence", (payload) => listeners.emit("presence", payload));
    s.on("room_created", (payload) => listeners.emit("room_created", payload));
    s.on("room_updated", (payload) => {
      rooms.observed(payload.room.id, payload.version);
      listeners.emit("room_updated", payload);
    });
    s.on("member_joined", (payload) => {
      rooms.observed(payload.roomId, payload.version);
      listeners.emit("member_joined", payload);
    });
    s.on("read_marker", (payload) => {
      rooms.observed(payload.roomId, payload.version);
      listeners.emit("read_marker", payload);
    });
    s.on("member_left", (event) => {
      rooms.observed(event.roomId, event.version);
      rooms.memberLeft(event);
    });
    for (const event of ["reaction_added", "reaction_removed"] as const)
      s.on(event, (payload) => rooms.observed(payload.roomId, payload.version));
    // The rooms' current versions: a room this client is behind in is caught up by itself.
    s.on("room_versions", ({ rooms: versions }) => {
      for (const { roomId, version } of versions) rooms.noticeVersion(roomId, version);
    });
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
          reject(connectError(error));
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
      await rooms.join(roomId);
    },

    async leaveRoom(roomId) {
      rooms.forget(roomId);
      await request("leave_room", roomId);
    },

    async sendMessage(input) {
      const payload = { ...input, clientId: input.clientId ?? newClientId() };
      const message = await retry(() => request("send_message", payload), options);
      rooms.recordOwn(message);
      return message;
    },

    async setState(input) {
      const message = await request("message_state", input);
      rooms.recordOwnReceipt(message);
      return message;
    },

    async typing(input) {
      await request("typing", input);
    },

    sync(input) {
      return request("sync", input);
    },

    on: (event, listener) => listeners.on(event, listener),
    off: (event, listener) => listeners.off(event, listener),
  };
}
