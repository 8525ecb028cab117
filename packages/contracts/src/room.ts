import { z } from "zod";

import { MessageSchema, MessageStateSchema } from "./message.ts";
import { IdSchema, LimitSchema, PlainTextSchema, TimestampSchema } from "./primitives.ts";
import { UserSchema } from "./user.ts";

export const RoomKindSchema = z.enum(["direct", "group"]);
export type RoomKind = z.infer<typeof RoomKindSchema>;
export const RoomVisibilitySchema = z
  .enum(["private", "public"])
  .describe("`private`: invite only; `public`: anyone signed in can find and join it");
export type RoomVisibility = z.infer<typeof RoomVisibilitySchema>;
export const MemberRoleSchema = z.enum(["owner", "admin", "member"]);
export type MemberRole = z.infer<typeof MemberRoleSchema>;

export const GROUP_NAME_MAX_LENGTH = 80;
export const GROUP_TOPIC_MAX_LENGTH = 250;

export const GroupNameSchema = PlainTextSchema.trim().min(1).max(GROUP_NAME_MAX_LENGTH);
export const GroupTopicSchema = PlainTextSchema.trim().max(GROUP_TOPIC_MAX_LENGTH);

export const RoomSchema = z
  .object({
    id: IdSchema,
    kind: RoomKindSchema,
    name: z.string().nullable().describe("A group's name; null for a direct room"),
    topic: z.string().nullable(),
    visibility: RoomVisibilitySchema,
    memberCount: z.number().int().nonnegative(),
    role: MemberRoleSchema.describe("The caller's role"),
    participants: z.array(UserSchema).describe("Every member of a direct room; the first 20 members of a group"),
    createdAt: TimestampSchema,
    lastMessage: MessageSchema.nullable(),
    unread: z.number().int().nonnegative().describe("Messages from the other members not yet read by the caller"),
    version: z.number().int().nonnegative().describe("The room's change counter"),
  })
  .meta({ id: "Room" });
export type Room = z.infer<typeof RoomSchema>;

/** Ids given as a list: each once. */
const distinctIds = (max: number) =>
  z
    .array(IdSchema)
    .max(max)
    .superRefine((ids, ctx) => {
      const seen = new Set<number>();
      ids.forEach((id, index) => {
        if (seen.has(id)) ctx.addIssue({ code: "custom", message: `user ${id} is listed twice`, path: [index] });
        seen.add(id);
      });
    });

/** The most user ids one request may name (the body limit allows about this many). */
export const MAX_IDS_PER_REQUEST = 5000;

export const DirectRoomCreateInputSchema = z.strictObject({
  participant: IdSchema.describe("The other user's id"),
});
export type DirectRoomCreateInput = z.infer<typeof DirectRoomCreateInputSchema>;

export const GroupCreateInputSchema = z.strictObject({
  name: GroupNameSchema,
  participants: distinctIds(MAX_IDS_PER_REQUEST).describe("The other members' user ids; the caller is the owner"),
  visibility: RoomVisibilitySchema.default("private"),
  topic: GroupTopicSchema.optional(),
});
export type GroupCreateInput = z.input<typeof GroupCreateInputSchema>;

/** `{ participant }` for the direct room of a pair, `{ name, participants }` for a group. */
export const RoomCreateInputSchema = z.union([DirectRoomCreateInputSchema, GroupCreateInputSchema]);
export type RoomCreateInput = z.input<typeof RoomCreateInputSchema>;

export const RoomIdInputSchema = z.strictObject({ id: IdSchema });

export const RoomListInputSchema = z
  .strictObject({
    limit: LimitSchema(500, 500),
    before: IdSchema.optional().describe("Keyset cursor: rooms whose last activity is older than this room's"),
  })
  .prefault({});
export type RoomListInput = z.input<typeof RoomListInputSchema>;

export const RoomUpdateInputSchema = z
  .strictObject({
    id: IdSchema,
    name: GroupNameSchema.optional(),
    topic: GroupTopicSchema.nullable().optional(),
    visibility: RoomVisibilitySchema.optional(),
  })
  .refine((v) => v.name !== undefined || v.topic !== undefined || v.visibility !== undefined, {
    message: "give `name`, `topic` or `visibility`",
    path: ["name"],
  });
export type RoomUpdateInput = z.infer<typeof RoomUpdateInputSchema>;

export const MemberSchema = z
  .object({ user: UserSchema, role: MemberRoleSchema, joinedAt: TimestampSchema })
  .meta({ id: "Member" });
export type Member = z.infer<typeof MemberSchema>;

export const MemberListInputSchema = z.strictObject({
  id: IdSchema,
  limit: LimitSchema(500, 100),
  after: IdSchema.optional().describe("Keyset cursor: members with a user id above this one"),
});
export type MemberListInput = z.input<typeof MemberListInputSchema>;

export const MembersAddInputSchema = z.strictObject({
  id: IdSchema,
  userIds: distinctIds(MAX_IDS_PER_REQUEST).min(1),
});
export type MembersAddInput = z.infer<typeof MembersAddInputSchema>;

export const MemberRefInputSchema = z.strictObject({ id: IdSchema, userId: IdSchema });
export type MemberRefInput = z.infer<typeof MemberRefInputSchema>;

export const MemberSetRoleInputSchema = z.strictObject({
  id: IdSchema,
  userId: IdSchema,
  role: z
    .enum(["admin", "member"])
    .describe("Only the owner grants roles; ownership passes only when the owner leaves"),
});
export type MemberSetRoleInput = z.infer<typeof MemberSetRoleInputSchema>;

export const MemberChangeSchema = z
  .object({
    user: UserSchema,
    role: MemberRoleSchema.nullable().describe("Null once the user is no longer a member"),
    status: z.enum(["member", "left", "removed"]),
    version: z.number().int().positive(),
  })
  .meta({ id: "MemberChange" });
export type MemberChange = z.infer<typeof MemberChangeSchema>;

export const PublicRoomSchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    topic: z.string().nullable(),
    memberCount: z.number().int().nonnegative(),
    createdAt: TimestampSchema,
  })
  .meta({ id: "PublicRoom" });
export type PublicRoom = z.infer<typeof PublicRoomSchema>;

export const PublicRoomListInputSchema = z
  .strictObject({
    search: PlainTextSchema.trim().max(GROUP_NAME_MAX_LENGTH).optional(),
    limit: LimitSchema(100, 50),
    after: IdSchema.optional().describe("Keyset cursor: groups with an id above this one"),
  })
  .prefault({});
export type PublicRoomListInput = z.input<typeof PublicRoomListInputSchema>;

export const ReceiptSchema = z.object({ userId: IdSchema, state: MessageStateSchema }).meta({ id: "Receipt" });
export type Receipt = z.infer<typeof ReceiptSchema>;

export const ChangesSchema = z
  .object({
    version: z.number().int().nonnegative().describe("The room's current version"),
    messages: z.array(MessageSchema),
    members: z
      .array(MemberChangeSchema)
      .optional()
      .describe("Groups only: members who joined, left or changed role after `since`"),
    room: RoomSchema.nullable()
      .optional()
      .describe("Groups only: the room, if it or its membership changed after `since`"),
  })
  .meta({ id: "Changes" });
export type Changes = z.infer<typeof ChangesSchema>;

// Room events (socket.io): membership and read positions.

/** A room's fields shared by every member (`role` and `unread` are each member's own). */
export const RoomInfoSchema = RoomSchema.pick({
  id: true,
  kind: true,
  name: true,
  topic: true,
  visibility: true,
  memberCount: true,
  createdAt: true,
}).meta({ id: "RoomInfo" });
export type RoomInfo = z.infer<typeof RoomInfoSchema>;

export const RoomUpdatedEventSchema = z.object({ room: RoomInfoSchema, version: z.number().int().positive() });
export type RoomUpdatedEvent = z.infer<typeof RoomUpdatedEventSchema>;

export const MemberChangeEventSchema = z.object({
  roomId: IdSchema,
  user: UserSchema,
  role: MemberRoleSchema,
  version: z.number().int().positive(),
});
export type MemberChangeEvent = z.infer<typeof MemberChangeEventSchema>;

export const MemberLeftEventSchema = z.object({
  roomId: IdSchema,
  userId: IdSchema,
  reason: z.enum(["left", "removed"]),
  version: z.number().int().positive(),
});
export type MemberLeftEvent = z.infer<typeof MemberLeftEventSchema>;

export const ReadMarkerSchema = z.object({
  roomId: IdSchema,
  userId: IdSchema,
  lastReadId: IdSchema.describe("The member's read position: every message up to this id"),
  version: z.number().int().nonnegative().describe("The room's version when the position moved"),
});
export type ReadMarker = z.infer<typeof ReadMarkerSchema>;
