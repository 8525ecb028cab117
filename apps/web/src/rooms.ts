import type { Message, Room, User } from "@causette/sdk";

/** A group's name, or the other member of a direct room. */
export function roomTitle(room: Room, me: number): string {
  if (room.name !== null) return room.name;
  return room.participants.find((u) => u.id !== me)?.username ?? "Just you";
}

/** Adds a room (created or found again) at the top of the list, once. */
export function upsertRoom(rooms: readonly Room[], room: Room): Room[] {
  return [room, ...rooms.filter((r) => r.id !== room.id)];
}

/**
 * A new message moves its room to the top with it as the last message; one from someone else in
 * a room not on screen counts as unread. Messages already seen (an ack after the event) change nothing.
 */
export function roomsAfterMessage(
  rooms: readonly Room[],
  message: Message,
  me: number,
  openRoomId: number | null,
): Room[] {
  const room = rooms.find((r) => r.id === message.roomId);
  if (!room || (room.lastMessage && room.lastMessage.id >= message.id)) return [...rooms];
  const unread = message.sender !== me && openRoomId !== room.id ? room.unread + 1 : room.unread;
  return upsertRoom(rooms, { ...room, lastMessage: message, unread });
}

/** The room read: no unread badge. */
export function markRoomRead(rooms: readonly Room[], roomId: number): Room[] {
  return rooms.map((r) => (r.id === roomId && r.unread > 0 ? { ...r, unread: 0, mentions: 0 } : r));
}

/** Each member by id, for showing senders' names. */
export function usersById(room: Room | undefined): Map<number, User> {
  return new Map((room?.participants ?? []).map((u) => [u.id, u]));
}
