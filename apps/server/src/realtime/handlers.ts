import { clientEventSchemas, type Ack, type ClientToServerEvents, type RoomRef } from "@causette/contracts";

import { AppError, toAppError, toErrorBody } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Services } from "../services/index.ts";
import { origin } from "./broadcaster.ts";
import { TokenBucket } from "./token-bucket.ts";
import { roomChannel, type ChatSocket } from "./types.ts";
import { createTypingTracker } from "./typing.ts";

export interface HandlerDeps {
  services: Services;
  logger: Logger;
  /** Counts in-flight handlers so shutdown can wait for them; refuses new work once the server is closing. */
  track<T>(work: () => Promise<T>): Promise<T>;
}

// Beside the user's one budget (limits/rate-limits.ts, every surface), each socket's own burst
// stays bounded too.
const SOCKET_SEND_RATE = { perSecond: 20, burst: 40 };

const roomIdOf = (ref: RoomRef) => (typeof ref === "number" ? ref : ref.roomId);

/**
 * Wires one socket's events to the services. Every payload is validated with the contract's schema;
 * every handler answers through the ack when there is one and never throws past here, so one bad
 * client cannot crash or disconnect anyone.
 */
export function registerHandlers(socket: ChatSocket, deps: HandlerDeps) {
  const caller = { userId: socket.data.userId };
  const typing = createTypingTracker(socket);
  const socketSends = new TokenBucket(SOCKET_SEND_RATE.perSecond, SOCKET_SEND_RATE.burst);
  // One socket's events run one after another, in the order they were sent: a `send_message`
  // emitted right after `join_room` finds the room joined, and pipelined sends are stored in order.
  let previous: Promise<unknown> = Promise.resolve();

  /** `atArrival` runs as the event arrives, before it waits its turn: it may refuse it by throwing. */
  function on<E extends keyof ClientToServerEvents, T>(
    event: E,
    handle: (payload: ReturnType<(typeof clientEventSchemas)[E]["parse"]>) => Promise<T>,
    atArrival?: () => void,
  ) {
    socket.on(event, ((...args: unknown[]) => {
      // The ack is always the last argument: `emit(event, ack)` sends no payload at all.
      const last = args.at(-1);
      const reply = typeof last === "function" ? (last as (response: Ack<T>) => void) : undefined;
      const payloads = reply ? args.slice(0, -1) : args;
      let refusal: unknown;
      try {
        atArrival?.();
      } catch (error) {
        refusal = error;
      }
      const run = async () => {
        if (refusal !== undefined) throw refusal;
        if (payloads.length > 1)
          throw new AppError("BAD_REQUEST", `${event} takes one payload, got ${payloads.length}`);
        const parsed = clientEventSchemas[event].safeParse(payloads[0]);
        if (!parsed.success) throw parsed.error;
        return handle(parsed.data as never);
      };
      const inTurn = () => previous.then(run, run);
      // With an ack the socket learns the result from it, so broadcasts skip it.
      const work = reply ? () => origin.run({ socketId: socket.id }, inTurn) : inTurn;
      const result = deps.track(work);
      previous = result.catch(() => undefined);
      result.then(
        (data) => reply?.({ ok: true, data }),
        (error: unknown) => {
          const appError = toAppError(error);
          if (appError.internal !== undefined)
            deps.logger.error({ err: appError.internal, event }, "socket handler failed");
          reply?.({ ok: false, error: toErrorBody(appError).error });
        },
      );
    }) as never);
  }

  on("join_room", async (ref) => {
    const roomId = roomIdOf(ref);
    await deps.services.rooms.view(caller, roomId);
    await socket.join(roomChannel(roomId));
    // A removal that committed between the check and the join evicted nobody: check again.
    await deps.services.rooms.assertMember(caller, roomId).catch(async (error: unknown) => {
      await socket.leave(roomChannel(roomId));
      throw error;
    });
    return null;
  });

  on("leave_room", async (ref) => {
    const roomId = roomIdOf(ref);
    typing.stop(roomId);
    await socket.leave(roomChannel(roomId));
    return null;
  });

  on(
    "send_message",
    async ({ sender, ...input }) => {
      if (sender !== undefined && sender !== caller.userId) {
        throw new AppError("FORBIDDEN", "sender: must be your own user id", {
          issues: [{ path: "sender", message: "must be your own user id" }],
        });
      }
      typing.stop(input.roomId);
      return deps.services.messages.send(caller, input);
    },
    // Counted as sends arrive, not as their turn comes: a slow database does not refill the bucket mid-flood.
    () => {
      if (!socketSends.take()) {
        throw new AppError("TOO_MANY_REQUESTS", "Sending too fast on this socket: at most 20 messages a second", {
          retryAfter: 1,
        });
      }
    },
  );

  on("message_state", async ({ roomId, messageId, state }) => {
    const message = await deps.services.messages.setState(caller, { id: messageId, state }, roomId);
    return message;
  });

  on("typing", async ({ roomId, isTyping }) => {
    // The socket's own rooms: a removed member's sockets leave the channel from outside this handler.
    if (!socket.rooms.has(roomChannel(roomId))) throw new AppError("NOT_FOUND", `Join room ${roomId} first`);
    typing.update(roomId, isTyping);
    return null;
  });

  on("sync", async ({ roomId, since }) => deps.services.rooms.changes(caller, { id: roomId, since }));

  socket.on("disconnect", () => typing.stopAll());
}
