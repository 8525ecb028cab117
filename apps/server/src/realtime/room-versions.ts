import { roomVersions, type DatabasePool } from "@causette/db";

import { roomOfChannel, type ChatServer } from "./types.ts";

/**
 * The socket is a fast hint, the database's versions are the truth: every `intervalMs`, and when
 * asked (after Redis or the database comes back), each socket of this node is told the current
 * version of every room it joined (`room_versions`). A client behind one of them missed a change
 * whose event was lost, and fetches it with `sync`.
 */
export function startRoomVersions(io: ChatServer, pool: DatabasePool, intervalMs: number) {
  let running = false;
  async function announce(): Promise<void> {
    if (running) return;
    running = true;
    try {
      const joined = [...io.of("/").sockets.values()].map((socket) => ({
        socket,
        roomIds: [...socket.rooms].map(roomOfChannel).filter((id) => id !== undefined),
      }));
      const roomIds = [...new Set(joined.flatMap((j) => j.roomIds))];
      if (roomIds.length === 0) return;
      const versions = new Map((await roomVersions(pool, roomIds)).map((r) => [r.roomId, r.version]));
      for (const { socket, roomIds: ids } of joined) {
        const rooms = ids.flatMap((roomId) => {
          const version = versions.get(roomId);
          return version === undefined ? [] : [{ roomId, version }];
        });
        if (rooms.length > 0) socket.emit("room_versions", { rooms });
      }
    } catch {
      // The database is away (its own log line says so): the next round, or its return, tells them.
    } finally {
      running = false;
    }
  }
  const timer = setInterval(() => void announce(), intervalMs).unref();
  return {
    announce,
    stop: () => clearInterval(timer),
  };
}
