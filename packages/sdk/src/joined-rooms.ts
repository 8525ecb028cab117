import type {
  ClientEventName,
  ClientEventPayload,
  ClientEventResult,
  MemberLeftEvent,
  Message,
} from "@causette/contracts";

import { toChatError } from "./errors.ts";
import { retry } from "./http.ts";
import type { Listeners } from "./realtime-listeners.ts";
import { RoomTracker, type RoomBaseline, type TrackedEvent } from "./room-tracker.ts";

interface JoinedRoom {
  /** Set once the baseline is known. */
  tracker?: RoomTracker;
  /** While joining or catching up, live events wait here so that they come after what was missed. */
  held: TrackedEvent[] | null;
  /** A gap was noticed: the catch-up starts after a grace period, unless the gap fills meanwhile. */
  gapCheck?: ReturnType<typeof setTimeout>;
}

/**
 * How long a gap may last before the SDK fetches what is missing: live events of one room can
 * cross two server nodes in either order, so a hole often fills by itself within milliseconds.
 */
const GAP_GRACE_MS = 500;

export interface JoinedRoomsDeps {
  /** One acknowledged emit over the current socket. */
  request<E extends ClientEventName>(event: E, payload: ClientEventPayload<E>): Promise<ClientEventResult<E>>;
  /** The room's version, highest message id and participants, read right after joining it. */
  baseline(roomId: number): Promise<RoomBaseline>;
  /** The current connection's number: work started on an older connection stops where it is. */
  epoch(): number;
  /** This client's user id (from its token), or null. */
  userId(): number | null;
  listeners: Listeners;
  retries: number;
  retryDelay: number;
}

/**
 * The rooms the app joined, and what makes their events exactly-once: each room's tracker, the
 * events held while it joins or catches up, and the rejoin and catch-up after a reconnect.
 */
export class JoinedRooms {
  private readonly rooms = new Map<number, JoinedRoom>();

  constructor(private readonly deps: JoinedRoomsDeps) {}

  /**
   * A live message event: delivered now, held until the room has caught up, or dropped as a repeat.
   * One that jumps a version is held too: the change in between is delivered first, once it has
   * arrived or been fetched.
   */
  incoming(item: TrackedEvent): void {
    const room = this.rooms.get(item.payload.roomId);
    if (!room) return this.deliver(item);
    if (room.held) {
      room.held.push(item);
      return;
    }
    const tracker = room.tracker!;
    if (item.payload.version > tracker.version + 1 && tracker.isNew(item)) {
      room.held = [item];
      this.checkGap(item.payload.roomId, room, item.payload.version);
      return;
    }
    if (tracker.accept(item)) this.deliver(item);
  }

  /** A change at `version` came as another event than a message's (a rename, a member, a read marker): no gap. */
  observed(roomId: number, version: number): void {
    const tracker = this.rooms.get(roomId)?.tracker;
    if (!tracker) return;
    tracker.observeVersion(version);
    this.noticeVersion(roomId, tracker.newest);
  }

  /**
   * The room is at `version` (from `room_versions`): when this client has not seen every change up
   * to it, it fetches the missing ones and delivers them once, in order, before any later live event.
   */
  noticeVersion(roomId: number, version: number): void {
    const room = this.rooms.get(roomId);
    if (room?.tracker && !room.held && version > room.tracker.version) this.checkGap(roomId, room, version);
  }

  /**
   * After GAP_GRACE_MS: the held events that now follow on are delivered; if the room is still
   * behind `version`, what is missing is fetched (`sync`), then the rest of the held events.
   */
  private checkGap(roomId: number, room: JoinedRoom, version: number): void {
    if (room.gapCheck !== undefined) return;
    const connection = this.deps.epoch();
    room.gapCheck = setTimeout(() => {
      room.gapCheck = undefined;
      if (this.rooms.get(roomId) !== room || connection !== this.deps.epoch() || !room.tracker) return;
      const tracker = room.tracker;
      const held = (room.held ?? []).sort((a, b) => a.payload.version - b.payload.version);
      while (held.length > 0 && held[0]!.payload.version <= tracker.version + 1) {
        const item = held.shift()!;
        if (tracker.accept(item)) this.deliver(item);
      }
      if (held.length === 0 && version <= tracker.version) {
        room.held = null;
        return;
      }
      room.held = held;
      retry(
        () => (connection === this.deps.epoch() ? this.catchUp(roomId, room, connection) : Promise.resolve()),
        this.deps,
      ).catch((error: unknown) => {
        this.release(room);
        this.deps.listeners.emit("error", toChatError(error));
      });
    }, GAP_GRACE_MS);
  }

  async join(roomId: number): Promise<void> {
    if (this.rooms.has(roomId)) return;
    const room: JoinedRoom = { held: [] };
    this.rooms.set(roomId, room);
    try {
      await this.establish(roomId, room, this.deps.epoch());
    } catch (error) {
      if (this.rooms.get(roomId) === room) {
        this.rooms.delete(roomId);
        // The join may have gone through before the baseline failed: undo it.
        void this.deps.request("leave_room", roomId).catch(() => undefined);
      }
      throw toChatError(error);
    }
  }

  /** A member left: the app hears it; when it is this user, the room stops here. */
  memberLeft(event: MemberLeftEvent): void {
    this.deps.listeners.emit("member_left", event);
    if (event.userId === this.deps.userId()) this.drop(event.roomId, event.reason);
  }

  forget(roomId: number): void {
    this.rooms.delete(roomId);
  }

  clear(): void {
    this.rooms.clear();
  }

  /** Messages the app read through the API: the SDK learns which reactions are its user's. */
  learn(messages: readonly Message[]): void {
    for (const message of messages) this.rooms.get(message.roomId)?.tracker?.learn(message);
  }

  recordOwn(message: Message): void {
    this.rooms.get(message.roomId)?.tracker?.recordOwn(message);
  }

  recordOwnReceipt(message: Message): void {
    this.rooms.get(message.roomId)?.tracker?.recordOwnReceipt(message);
  }

  /** After a reconnect: holds every room's live events, rejoins each and delivers what it missed. */
  async resync(connection: number): Promise<void> {
    for (const room of this.rooms.values()) room.held ??= [];
    await Promise.all(
      [...this.rooms].map(async ([roomId, room]) => {
        try {
          await retry(() => {
            if (connection !== this.deps.epoch()) return Promise.resolve();
            return this.establish(roomId, room, connection);
          }, this.deps);
        } catch (error) {
          if (connection !== this.deps.epoch()) return;
          const chatError = toChatError(error);
          // A room we may no longer see is forgotten; anything else keeps it for the next reconnect.
          // A room never established (its join was in flight) is dropped too: join it again.
          if (chatError.code === "NOT_FOUND" || chatError.code === "FORBIDDEN") this.drop(roomId, "removed");
          else if (!room.tracker) this.rooms.delete(roomId);
          else this.release(room);
          this.deps.listeners.emit("error", chatError);
        }
      }),
    );
  }

  /** The room is no longer this user's: stop following it and tell the app, once. */
  private drop(roomId: number, reason: MemberLeftEvent["reason"]): void {
    if (!this.rooms.delete(roomId)) return;
    this.deps.listeners.emit("room_removed", { roomId, reason });
  }

  private deliver(item: TrackedEvent): void {
    // One branch per payload type: `emit` checks each event's payload against its name.
    if (item.event === "message_state_update") this.deps.listeners.emit(item.event, item.payload);
    else if (item.event === "reaction_added") this.deps.listeners.emit(item.event, item.payload);
    else if (item.event === "reaction_removed") this.deps.listeners.emit(item.event, item.payload);
    else this.deps.listeners.emit(item.event, item.payload);
  }

  private release(room: JoinedRoom): void {
    const held = (room.held ?? []).sort((a, b) => a.payload.version - b.payload.version);
    room.held = null;
    for (const item of held) if (room.tracker!.accept(item)) this.deliver(item);
  }

  /** Joins (again) and, for a room already tracked, delivers what it missed since its version. */
  private async establish(roomId: number, room: JoinedRoom, connection: number): Promise<void> {
    await this.deps.request("join_room", roomId);
    if (connection !== this.deps.epoch()) return;
    if (!room.tracker) {
      room.tracker = new RoomTracker(roomId, { ...(await this.deps.baseline(roomId)), self: this.deps.userId() });
      if (connection === this.deps.epoch()) this.release(room);
      return;
    }
    await this.catchUp(roomId, room, connection);
  }

  /** Fetches and delivers what the room's tracker has not seen, then the live events held meanwhile. */
  private async catchUp(roomId: number, room: JoinedRoom, connection: number): Promise<void> {
    const changes = await this.deps.request("sync", { roomId, since: room.tracker!.version });
    if (connection !== this.deps.epoch() || this.rooms.get(roomId) !== room) return;
    const missed = room.tracker!.catchUp(changes);
    for (const item of missed) this.deliver(item);
    // Membership changes missed while away, as the live events would have told them.
    for (const change of changes.members ?? []) {
      if (change.status === "member") {
        this.deps.listeners.emit("member_joined", {
          roomId,
          user: change.user,
          role: change.role!,
          version: change.version,
        });
      } else {
        this.memberLeft({ roomId, userId: change.user.id, reason: change.status, version: change.version });
      }
    }
    if (!this.rooms.has(roomId)) return;
    this.release(room);
    this.deps.listeners.emit("synced", { roomId, version: room.tracker!.version, missed: missed.length });
  }
}
