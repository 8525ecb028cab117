interface Held {
  version: number;
  announce: () => void;
  /** The writes to the room that were in flight when this one answered: one may hold an earlier version. */
  waitFor: Set<object>;
}

interface RoomQueue {
  inFlight: Set<object>;
  /** Answered writes whose events wait, by version. */
  held: Held[];
}

/**
 * Live events of a room leave this node in version order. Writes to a room commit in version order
 * (the room's row lock), but their answers come back over several connections in any order. A
 * write that answered with version v can only be preceded by writes that were still in flight at
 * that moment (one starting later takes the lock after v's commit): its events wait until each of
 * those has answered or failed, and are then sent in version order. `ordered` false (benchmarks
 * only) announces each write as it answers.
 */
export function createRoomOrder(
  ordered = true,
  captureContext: () => (announce: () => void) => void = () => (announce) => announce(),
) {
  const rooms = new Map<number, RoomQueue>();

  function settled(roomId: number, queue: RoomQueue, ticket: object) {
    queue.inFlight.delete(ticket);
    for (const held of queue.held) held.waitFor.delete(ticket);
    while (queue.held[0]?.waitFor.size === 0) queue.held.shift()!.announce();
    if (queue.inFlight.size === 0 && queue.held.length === 0) rooms.delete(roomId);
  }

  return {
    /**
     * Runs `write` (a write to room `roomId`), then `announce(result)` in turn: after the events of
     * every write of the room with an earlier version. `versionOf` answers null when the write
     * changed nothing (no event). `announce` runs in the context `captureContext` captured when the
     * write answered (which socket acked), whichever write's turn releases it.
     */
    async run<T>(
      roomId: number,
      write: () => Promise<T>,
      versionOf: (result: T) => number | null,
      announce: (result: T) => void,
    ): Promise<T> {
      if (!ordered) {
        const result = await write();
        if (versionOf(result) !== null) announce(result);
        return result;
      }
      let queue = rooms.get(roomId);
      if (!queue) rooms.set(roomId, (queue = { inFlight: new Set(), held: [] }));
      const ticket = {};
      queue.inFlight.add(ticket);
      let result: T;
      try {
        result = await write();
      } catch (error) {
        settled(roomId, queue, ticket);
        throw error;
      }
      const version = versionOf(result);
      if (version !== null) {
        const inCallerContext = captureContext();
        const held: Held = {
          version,
          announce: () => inCallerContext(() => announce(result)),
          waitFor: new Set([...queue.inFlight].filter((other) => other !== ticket)),
        };
        const at = queue.held.findIndex((other) => other.version > version);
        queue.held.splice(at === -1 ? queue.held.length : at, 0, held);
      }
      settled(roomId, queue, ticket);
      return result;
    },
  };
}
export type RoomOrder = ReturnType<typeof createRoomOrder>;
