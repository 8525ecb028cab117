import type { Logger } from "../logger.ts";
import type { ChatServer, ChatSocket } from "./types.ts";

/** A socket holding more than this, unsent, stops reading: it is disconnected. */
const MAX_SEND_BUFFER_BYTES = 1024 * 1024;
/** A socket whose events have waited this long without any going out is disconnected too. */
const MAX_SEND_WAIT_MS = 30_000;
const CHECK_EVERY_MS = 1_000;

/** What engine.io keeps of a connection: packets not yet handed to the transport, and the WebSocket's own buffer. */
interface Connection {
  writeBuffer: Array<{ data?: unknown }>;
  transport: { socket?: { bufferedAmount?: number; terminate?: () => void } };
  on(event: "drain", listener: () => void): void;
  close(discard: boolean): void;
}

/** The bytes waiting to go out to the socket's client. */
function backlogBytes(connection: Connection): number {
  let bytes = connection.transport.socket?.bufferedAmount ?? 0;
  for (const { data } of connection.writeBuffer) {
    if (typeof data === "string") bytes += data.length;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) bytes += data.byteLength;
  }
  return bytes;
}

/**
 * The slow-consumer rule: a client that stops reading (its send buffer over 1 MB, or events
 * waiting 30 s) is disconnected, so server memory stays bounded whatever the clients do. It may
 * reconnect and catch up by `version`.
 */
export function startSlowConsumerCheck(io: ChatServer, logger: Logger) {
  /** Per socket with a backlog: since when, and whether anything went out since the last check. */
  const backlogs = new WeakMap<ChatSocket, { since: number; drained: boolean }>();
  function check() {
    const now = Date.now();
    for (const socket of io.of("/").sockets.values()) {
      const connection = socket.conn as unknown as Connection;
      const bytes = backlogBytes(connection);
      const backlog = backlogs.get(socket);
      if (bytes === 0) {
        if (backlog) backlog.since = now;
        continue;
      }
      if (!backlog) {
        const fresh = { since: now, drained: false };
        backlogs.set(socket, fresh);
        // Anything handed on to the transport means the client reads: the wait starts again.
        connection.on("drain", () => {
          fresh.since = Date.now();
          fresh.drained = true;
        });
        continue;
      }
      // A burst over 1 MB that the client is reading is fine; one it does not touch is not.
      const stuck = (bytes > MAX_SEND_BUFFER_BYTES && !backlog.drained) || now - backlog.since > MAX_SEND_WAIT_MS;
      backlog.drained = false;
      if (!stuck) continue;
      logger.warn(
        { userId: socket.data.userId, bytes, waitedMs: now - backlog.since },
        "disconnecting a socket that does not read what it is sent",
      );
      // Closing normally waits for the buffer to drain, which it never will: drop it and the connection.
      const webSocket = connection.transport.socket;
      connection.close(true);
      webSocket?.terminate?.();
    }
  }
  const timer = setInterval(check, CHECK_EVERY_MS).unref();
  return { stop: () => clearInterval(timer) };
}
