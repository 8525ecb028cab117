import { createClient } from "redis";

import type { Logger } from "../logger.ts";

type RedisClient = ReturnType<typeof createClient>;

export interface RedisLink {
  /** The clients to hand to the socket.io adapter: `pub`'s publishes never reject. */
  pub: RedisClient;
  sub: RedisClient;
  /** Up when both clients are connected. */
  state(): "up" | "down";
  /** Called each time Redis comes back after being down. */
  onRecovered(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * The adapter publishes without awaiting: a publish rejected while Redis is away (the socket closed
 * under it, or refused at once since the offline queue is off) would be an unhandled rejection, which
 * ends the process. Through this view of the client, a publish that fails is dropped: the event did
 * not cross nodes, and clients learn of the change from the version check (`room_versions`).
 * Every other member is the client's own, bound to it (node-redis keeps its state in private fields).
 */
function safePublisher(client: RedisClient): RedisClient {
  return new Proxy(client, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (key !== "publish") return bound;
      return (...args: unknown[]) => (bound(...args) as Promise<number>).catch(() => 0);
    },
  });
}

/**
 * Two Redis clients for socket.io's adapter that never take the node down: every error is handled,
 * nothing is queued while Redis is away (events are dropped, not buffered without limit), node-redis
 * reconnects by itself, and the log says once that Redis went down and once that it came back.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisLink> {
  const pub = createClient({ url, disableOfflineQueue: true });
  const sub = pub.duplicate({ disableOfflineQueue: false });
  const clients = [pub, sub];
  const listeners: Array<() => void> = [];
  let up = true;
  const state = () => (clients.every((client) => client.isReady) ? "up" : "down");
  function check(err?: unknown) {
    const now = state() === "up";
    if (now === up) return;
    up = now;
    if (now) {
      logger.info("redis is back: events cross nodes again");
      for (const listener of listeners) listener();
    } else {
      logger.warn({ err: err instanceof Error ? err.message : err }, "redis is down: events stay on this node");
    }
  }
  for (const client of clients) {
    client.on("error", (err: unknown) => check(err));
    client.on("ready", () => check());
    client.on("end", () => check());
  }
  await Promise.all(clients.map((client) => client.connect()));
  return {
    pub: safePublisher(pub),
    sub,
    state,
    onRecovered: (listener) => void listeners.push(listener),
    async close() {
      // A client that is not connected would wait for Redis to come back before quitting.
      await Promise.all(
        clients.map(async (client) => {
          if (client.isReady) await client.close().catch(() => client.destroy());
          else client.destroy();
        }),
      );
    },
  };
}
