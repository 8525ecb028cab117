import type { Changes, Message, MessageState, MessageStateUpdate } from "@causette/contracts";

const RANK: Record<MessageState, number> = { ok: 0, recu: 1, lu: 2 };

/** What the SDK knows of a room when it joins it. */
export interface RoomBaseline {
  /** The room's version: every change up to it is history the app loads with `messages.list`. */
  version: number;
  /** The highest message id in the room: any message above it is new to this client. */
  maxMessageId: number;
  /** Both participants' ids: a receipt is moved by the one who did not send the message. */
  participants: number[];
}

export type MessageEventName = "receive_message" | "message_updated" | "message_deleted";
export type TrackedEvent =
  { event: MessageEventName; payload: Message } | { event: "message_state_update"; payload: MessageStateUpdate };

interface Seen {
  version: number;
  state?: MessageState;
  sender?: number;
  /** Undefined when only a receipt was seen, not the message itself. */
  editedAt?: string | null;
}

/** How many messages per room the tracker remembers for de-duplication. */
const SEEN_LIMIT = 5_000;

/**
 * The per-room bookkeeping behind "no missed, no doubled messages": the versions this client has
 * seen, the messages it has delivered (id and version), and how a catch-up's changed messages map
 * back onto the events a live socket would have delivered.
 */
export class RoomTracker {
  /** Every version up to this one has been seen: a catch-up asks for the changes after it. */
  private watermark: number;
  /** Versions seen above the watermark (events can arrive while an earlier one is still in flight). */
  private readonly ahead = new Set<number>();
  /**
   * Messages at or below this id were history when the room was joined, or have been forgotten
   * (`seen` is bounded): one of them in a catch-up is an edit or a receipt, never a new message.
   */
  private floor: number;
  private readonly participants: number[];
  private readonly seen = new Map<number, Seen>();

  constructor(
    readonly roomId: number,
    baseline: RoomBaseline,
  ) {
    this.watermark = baseline.version;
    this.floor = baseline.maxMessageId;
    this.participants = baseline.participants;
  }

  /** The version a catch-up starts after. */
  get version(): number {
    return this.watermark;
  }

  /** The newest version seen: above `version`, a change in between has not arrived (yet). */
  get newest(): number {
    return Math.max(this.watermark, ...this.ahead);
  }

  /** A change at `version` that carries no message (a rename, a member, a read marker) was seen. */
  observeVersion(version: number): void {
    this.observe(version);
  }

  /** Whether a live event is new, without recording it. */
  isNew(item: TrackedEvent): boolean {
    const id = item.event === "message_state_update" ? item.payload.messageId : item.payload.id;
    return (this.seen.get(id)?.version ?? 0) < item.payload.version;
  }

  /** Whether a live event is new (and records it); false for one already delivered at that version. */
  accept(item: TrackedEvent): boolean {
    if (item.event === "message_state_update") {
      const update = item.payload;
      if ((this.seen.get(update.messageId)?.version ?? 0) >= update.version) return false;
      this.applyReceipt(update);
      return true;
    }
    const message = item.payload;
    if ((this.seen.get(message.id)?.version ?? 0) >= message.version) return false;
    this.remember(message);
    return true;
  }

  /** A message this client sent through the socket (the ack): seen, but not an event to deliver. */
  recordOwn(message: Message): void {
    if ((this.seen.get(message.id)?.version ?? 0) >= message.version) return;
    this.remember(message);
  }

  /** A receipt this client set through the socket (the ack answers the marked message). */
  recordOwnReceipt(message: Message): void {
    if ((this.seen.get(message.id)?.version ?? 0) >= message.version) return;
    this.applyReceipt(
      { roomId: message.roomId, messageId: message.id, state: message.state, version: message.version, userId: 0 },
      message.sender,
    );
    this.remember(message);
  }

  /**
   * The events a connected client would have received for these changes, in version order, minus
   * those already delivered. Each version is one write: a new message, an edit, a deletion, or one
   * receipt that moved several messages of one sender.
   */
  catchUp(changes: Changes): TrackedEvent[] {
    const out: TrackedEvent[] = [];
    const sorted = [...changes.messages].sort((a, b) => a.version - b.version || a.id - b.id);
    let i = 0;
    while (i < sorted.length) {
      const version = sorted[i]!.version;
      const group: Message[] = [];
      while (i < sorted.length && sorted[i]!.version === version) group.push(sorted[i++]!);
      out.push(...this.replay(group, version));
    }
    this.watermark = Math.max(this.watermark, changes.version);
    for (const v of this.ahead) if (v <= this.watermark) this.ahead.delete(v);
    return out;
  }

  private replay(group: Message[], version: number): TrackedEvent[] {
    const out: TrackedEvent[] = [];
    const receipts: Message[] = [];
    for (const message of group) {
      const known = this.seen.get(message.id);
      if ((known?.version ?? 0) >= message.version) continue;
      if (message.deletedAt !== null) {
        out.push({ event: "message_deleted", payload: message });
      } else if (known === undefined && message.id > this.floor) {
        // Never seen, and newer than what this client knew: new, whatever ids it has seen since
        // (its own sends, acknowledged during the outage, may carry higher ids than the missed ones).
        out.push({ event: "receive_message", payload: message });
      } else if (known?.editedAt !== undefined ? known.editedAt !== message.editedAt : message.editedAt !== null) {
        // An edit (the message carries its state too, so a receipt that came with it is not lost).
        out.push({ event: "message_updated", payload: message });
      } else {
        receipts.push(message);
      }
    }
    const top = receipts.reduce<Message | undefined>((a, m) => (a === undefined || m.id > a.id ? m : a), undefined);
    if (top) {
      out.push({
        event: "message_state_update",
        payload: {
          roomId: this.roomId,
          messageId: top.id,
          state: top.state,
          version,
          userId: this.recipientOf(top.sender),
        },
      });
    }
    for (const message of group) this.remember(message);
    return out;
  }

  private recipientOf(sender: number): number {
    return this.participants.find((id) => id !== sender) ?? sender;
  }

  private remember(message: Message): void {
    this.put(message.id, {
      version: message.version,
      state: message.state,
      sender: message.sender,
      editedAt: message.editedAt,
    });
    this.observe(message.version);
  }

  /** A receipt moves the message and every earlier one from the same sender at least that far. */
  private applyReceipt(update: MessageStateUpdate, knownSender?: number): void {
    const target = this.seen.get(update.messageId);
    const sender = knownSender ?? target?.sender;
    if (sender !== undefined) {
      for (const [id, entry] of this.seen) {
        if (
          id < update.messageId &&
          entry.sender === sender &&
          entry.state !== undefined &&
          RANK[entry.state] < RANK[update.state]
        ) {
          entry.state = update.state;
          entry.version = Math.max(entry.version, update.version);
        }
      }
    }
    this.put(update.messageId, { ...target, version: update.version, state: update.state });
    this.observe(update.version);
  }

  private put(id: number, entry: Seen): void {
    this.seen.delete(id);
    this.seen.set(id, entry);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) {
        this.seen.delete(oldest);
        this.floor = Math.max(this.floor, oldest);
      }
    }
  }

  private observe(version: number): void {
    if (version <= this.watermark) return;
    this.ahead.add(version);
    while (this.ahead.delete(this.watermark + 1)) this.watermark += 1;
  }
}
