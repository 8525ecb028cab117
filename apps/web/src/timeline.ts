import type { Message, MessageState, MessageStateUpdate } from "@causette/sdk";

/** A message typed here and not yet acknowledged by the server. */
export interface PendingMessage {
  clientId: string;
  roomId: number;
  sender: number;
  message: string;
  createdAt: string;
  failed: boolean;
}

/** One room's conversation: stored messages by id (oldest first) and the sends still in flight. */
export interface Timeline {
  messages: Message[];
  pending: PendingMessage[];
}

export const emptyTimeline: Timeline = { messages: [], pending: [] };

/** What a row shows: a stored message, or a pending one (its tick is `sending` or `failed`). */
export type Row =
  | { key: string; message: Message; pending?: undefined }
  | { key: string; pending: PendingMessage; message?: undefined };

export type Tick = MessageState | "sending" | "failed";

const RANK: Record<MessageState, number> = { ok: 0, recu: 1, lu: 2 };

/**
 * Adds stored messages (a page of history, a live event, an ack), each once: a later version of a
 * message replaces the earlier, an older one never does; a stored message ends the pending send of
 * the same clientId.
 */
export function addMessages(timeline: Timeline, incoming: readonly Message[]): Timeline {
  if (incoming.length === 0) return timeline;
  const byId = new Map(timeline.messages.map((m) => [m.id, m]));
  for (const message of incoming) {
    const known = byId.get(message.id);
    if (!known || known.version < message.version) {
      // A receipt may have reached us before this copy of the message: keep the furthest state.
      byId.set(
        message.id,
        known && RANK[known.state] > RANK[message.state] ? { ...message, state: known.state } : message,
      );
    }
  }
  const acked = new Set(incoming.map((m) => m.clientId).filter((id) => id !== null));
  return {
    messages: [...byId.values()].sort((a, b) => a.id - b.id),
    pending: timeline.pending.filter((p) => !acked.has(p.clientId)),
  };
}

/** A send shown at once, before its ack. */
export function addPending(timeline: Timeline, pending: PendingMessage): Timeline {
  return { ...timeline, pending: [...timeline.pending, pending] };
}

/** The send of that clientId got no ack: shown as failed (the user may retry it). */
export function failPending(timeline: Timeline, clientId: string): Timeline {
  return {
    ...timeline,
    pending: timeline.pending.map((p) => (p.clientId === clientId ? { ...p, failed: true } : p)),
  };
}

/**
 * A receipt: the message and every earlier one from the same sender are now at least at `state`
 * (a receipt never moves a message back).
 */
export function applyReceipt(timeline: Timeline, update: Pick<MessageStateUpdate, "messageId" | "state">): Timeline {
  const target = timeline.messages.find((m) => m.id === update.messageId);
  if (!target) return timeline;
  let changed = false;
  const messages = timeline.messages.map((m) => {
    if (m.sender !== target.sender || m.id > target.id || RANK[m.state] >= RANK[update.state]) return m;
    changed = true;
    return { ...m, state: update.state };
  });
  return changed ? { ...timeline, messages } : timeline;
}

/** Stored messages in id order, then the pending ones in the order they were typed. */
export function rowsOf(timeline: Timeline): Row[] {
  return [
    ...timeline.messages.map((message) => ({ key: `m${message.id}`, message })),
    ...timeline.pending.map((pending) => ({ key: `p${pending.clientId}`, pending })),
  ];
}

export function tickOf(row: Row): Tick {
  if (row.pending) return row.pending.failed ? "failed" : "sending";
  return row.message.state;
}

/** The newest message from someone else not yet read by us: what opening the room marks `lu`. */
export function lastUnreadFrom(timeline: Timeline, me: number): Message | undefined {
  return timeline.messages.findLast((m) => m.sender !== me && m.state !== "lu");
}
