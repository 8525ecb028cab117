import type { z } from "zod";

import {
  clientEventSchemas,
  type AckCallback,
  type ClientEventName,
  type ClientEventPayload,
  type ClientEventResult,
  type RoomRef,
} from "@causette/contracts";

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

const SEND_RATE = { perSecond: 20, burst: 40 };
/** Events of one socket waiting for their turn at most: past it, an event is refused as it arrives. */
export const MAX_QUEUED_EVENTS = 100;

/** The contract's schemas, typed per event so that a handler's payload follows its event. */
const payloadSchemas: { [E in ClientEventName]: z.ZodType<ClientEventPayload<E>> } = clientEventSchemas;

const roomIdOf = (ref: RoomRef) => (typeof ref === "number" ? ref : ref.roomId);

/**
 * Wires one socket's events to the services. Every payload is validated with the contract's schema;
 * every handler answers through the ack when there is one and never throws past here, so one bad
 * client cannot crash or disconnect anyone.
 */
export function registerHandlers(socket: ChatSocket, deps: HandlerDeps) {
  const caller = { userId: socket.data.userId };
  const typing = createTypingTracker(socket);
  const sends = new TokenBucket(SEND_RATE.perSecond, SEND_RATE.burst);
  // One socket's events run one after another, in the order they were sent: a `send_message`
  // emitted right after `join_room` finds the room joined, and pipelined sends are stored in order.
  let previous: Promise<unknown> = Promise.resolve();
  let queued = 0;

  function on<E extends ClientEventName>(
    event: E,
    handle: (payload: ClientEventPayload<E>, arrivedAt: number) => ClientEventResult<E> | Promise<ClientEventResult<E>>,
  ) {
    const name: ClientEventName = event;
    socket.on(name, (...args: unknown[]) => {
      // Rates count events as the client sent them, however long the ones before took to handle.
      const arrivedAt = Date.now();
      // The ack is always the last argument: `emit(event, ack)` sends no payload at all.
      const last = args.at(-1);
      const reply = typeof last === "function" ? (last as AckCallback<ClientEventResult<E>>) : undefined;
      const payloads = reply ? args.slice(0, -1) : args;
      if (queued >= MAX_QUEUED_EVENTS) {
        const refused = new AppError(
          "TOO_MANY_REQUESTS",
          `Too many events waiting: at most ${MAX_QUEUED_EVENTS} per socket, retry once they are answered`,
          { retryAfter: 1 },
        );
        reply?.({ ok: false, error: toErrorBody(refused).error });
        return;
      }
      const run = async () => {
        if (payloads.length > 1)
          throw new AppError("BAD_REQUEST", `${event} takes one payload, got ${payloads.length}`);
        const parsed = payloadSchemas[event].safeParse(payloads[0]);
        if (!parsed.success) throw parsed.error;
        return handle(parsed.data, arrivedAt);
      };
      const inTurn = () => previous.then(run, run);
      // With an ack the socket learns the result from it, so broadcasts skip it.
      const work = reply ? () => origin.run({ socketId: socket.id }, inTurn) : inTurn;
      queued += 1;
      const result = deps.track(work);
      previous = result.catch(() => undefined);
      void previous.then(() => (queued -= 1));
      result.then(
        (data) => reply?.({ ok: true, data }),
        (error: unknown) => {
          const appError = toAppError(error);
          if (appError.internal !== undefined)
            deps.logger.error({ err: appError.internal, event }, "socket handler failed");
          reply?.({ ok: false, error: toErrorBody(appError).error });
        },
      );
    });
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

  on("send_message", async ({ sender, ...input }, arrivedAt) => {
    if (sender !== undefined && sender !== caller.userId) {
      throw new AppError("FORBIDDEN", "sender: must be your own user id", {
        issues: [{ path: "sender", message: "must be your own user id" }],
      });
    }
    if (!sends.take(arrivedAt))
      throw new AppError("TOO_MANY_REQUESTS", "Sending too fast: at most 20 messages a second", { retryAfter: 1 });
    typing.stop(input.roomId);
    return deps.services.messages.send(caller, input);
  });

  on("message_state", async ({ roomId, messageId, state }) => {
    const message = await deps.services.messages.setState(caller, { id: messageId, state }, roomId);
    return message;
  });

  on("typing", ({ roomId, isTyping }) => {
    // The socket's own rooms: a removed member's sockets leave the channel from outside this handler.
    if (!socket.rooms.has(roomChannel(roomId))) throw new AppError("NOT_FOUND", `Join room ${roomId} first`);
    typing.update(roomId, isTyping);
    return null;
  });

  on("sync", async ({ roomId, since }) => deps.services.rooms.changes(caller, { id: roomId, since }));

  socket.on("disconnect", () => typing.stopAll());
}
