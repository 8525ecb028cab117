import { roomChannel, type ChatSocket } from "./types.ts";

const TYPING_TTL_MS = 5_000;

/** Relays typing to the room and, without a repeat within 5 s, tells the room it stopped. */
export function createTypingTracker(socket: ChatSocket) {
  const timers = new Map<number, NodeJS.Timeout>();

  function emit(roomId: number, isTyping: boolean) {
    socket.to(roomChannel(roomId)).emit("typing", { roomId, userId: socket.data.userId, isTyping });
  }

  function stop(roomId: number) {
    const timer = timers.get(roomId);
    if (!timer) return;
    clearTimeout(timer);
    timers.delete(roomId);
    emit(roomId, false);
  }

  return {
    update(roomId: number, isTyping: boolean) {
      if (!isTyping) return stop(roomId);
      clearTimeout(timers.get(roomId));
      timers.set(
        roomId,
        setTimeout(() => stop(roomId), TYPING_TTL_MS),
      );
      emit(roomId, true);
    },
    stop,
    stopAll() {
      for (const roomId of [...timers.keys()]) stop(roomId);
    },
  };
}
