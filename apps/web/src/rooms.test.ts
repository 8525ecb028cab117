import { describe, expect, it } from "vitest";

import type { Message, Room } from "@causette/sdk";

import { markRoomRead, roomsAfterMessage, roomTitle } from "./rooms.ts";

const ME = 1;
const user = (id: number, username: string) => ({ id, username, email: `${username}@x.test`, createdAt: "" });

function room(id: number, fields: Partial<Room> = {}): Room {
  return {
    id,
    kind: "direct",
    name: null,
    topic: null,
    visibility: "private",
    memberCount: 2,
    role: "member",
    participants: [user(ME, "ana"), user(id + 100, `user${id}`)],
    createdAt: "",
    lastMessage: null,
    unread: 0,
    mentions: 0,
    version: 0,
    ...fields,
  };
}

const message = (id: number, roomId: number, sender: number) => ({ id, roomId, sender, message: `m${id}` }) as Message;

describe("the room list", () => {
  it("names a direct room after the other member and a group by its name", () => {
    expect(roomTitle(room(2), ME)).toBe("user2");
    expect(roomTitle(room(3, { kind: "group", name: "Team" }), ME)).toBe("Team");
  });

  it("moves a room with a new message to the top, counting it unread unless it is open or ours", () => {
    const rooms = [room(1), room(2), room(3)];
    let after = roomsAfterMessage(rooms, message(10, 3, 103), ME, null);
    expect(after.map((r) => [r.id, r.unread])).toEqual([
      [3, 1],
      [1, 0],
      [2, 0],
    ]);
    after = roomsAfterMessage(after, message(11, 2, 102), ME, 2);
    after = roomsAfterMessage(after, message(12, 1, ME), ME, null);
    expect(after.map((r) => [r.id, r.unread])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
    ]);
    // The same message again (the ack after the event) counts once.
    expect(roomsAfterMessage(after, message(10, 3, 103), ME, null)).toEqual(after);
    expect(markRoomRead(after, 3).find((r) => r.id === 3)?.unread).toBe(0);
  });
});
