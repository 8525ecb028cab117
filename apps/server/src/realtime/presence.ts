import { DatabaseUnavailableError, roomPartnersOf, type DatabasePool } from "@causette/db";

import type { Logger } from "../logger.ts";
import { userChannel, type ChatServer, type ChatSocket } from "./types.ts";

type Arrival = { id: string; data: { arrivedAt: number } };

/**
 * Whether `socket` is the user's oldest socket still connected. Counting to 1 is not enough: two
 * tabs connecting at once (on two nodes, the lookup takes a round trip) would each see the other
 * and neither announce. The oldest one announces, whoever looks first; a later tab sees an older
 * one and stays quiet.
 */
function isFirst(socket: Arrival, sockets: readonly Arrival[]): boolean {
  const before = (a: Arrival, b: Arrival) =>
    a.data.arrivedAt < b.data.arrivedAt || (a.data.arrivedAt === b.data.arrivedAt && a.id < b.id);
  return !sockets.some((other) => other.id !== socket.id && before(other, socket));
}

/**
 * Online means at least one socket, on any node, in the user's private channel. fetchSockets asks
 * every node through the adapter, so two tabs on two nodes count as one user online until the
 * last closes.
 */
export function createPresence(io: ChatServer, pool: DatabasePool, logger: Logger) {
  async function announce(userId: number, online: boolean) {
    const partners = await roomPartnersOf(pool, userId);
    if (partners.length > 0) io.to(partners.map(userChannel)).emit("presence", { userId, online });
  }

  async function isOnline(userId: number): Promise<boolean> {
    return (await io.in(userChannel(userId)).fetchSockets()).length > 0;
  }

  // A database outage has its own log line: not one more per socket that comes or goes.
  const guard = (work: Promise<unknown>) =>
    work.catch((err: unknown) => {
      if (!(err instanceof DatabaseUnavailableError)) logger.warn({ err }, "presence update failed");
    });

  return {
    /** After the socket joined its user channel: announce the user if this is their first socket. */
    connected(socket: ChatSocket): Promise<unknown> {
      const userId = socket.data.userId;
      return guard(
        (async () => {
          const sockets = await io.in(userChannel(userId)).fetchSockets();
          if (isFirst(socket, sockets)) await announce(userId, true);
          // Tell the newcomer which partners are online now.
          const partners = await roomPartnersOf(pool, userId);
          if (partners.length === 0) return;
          const online = await io.in(partners.map(userChannel)).fetchSockets();
          for (const id of new Set(online.map((s) => s.data.userId)))
            socket.emit("presence", { userId: id, online: true });
        })(),
      );
    },
    disconnected(userId: number): Promise<unknown> {
      return guard(
        (async () => {
          if (!(await isOnline(userId))) await announce(userId, false);
        })(),
      );
    },
  };
}
