import type { RealtimeEventName, RealtimeEvents } from "./types.ts";

type AnyListener = (...args: never[]) => void;

/** The app's listeners, by event. A throwing listener stops neither the others nor the SDK. */
export class Listeners {
  // One map for events of different signatures: `on` and `emit` keep each event's own types.
  private readonly sets = new Map<RealtimeEventName, Set<AnyListener>>();

  on<E extends RealtimeEventName>(event: E, listener: RealtimeEvents[E]): () => void {
    let set = this.sets.get(event);
    if (!set) this.sets.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  off<E extends RealtimeEventName>(event: E, listener: RealtimeEvents[E]): void {
    this.sets.get(event)?.delete(listener);
  }

  emit<E extends RealtimeEventName>(event: E, ...args: Parameters<RealtimeEvents[E]>): void {
    for (const listener of [...(this.sets.get(event) ?? [])]) {
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
}
