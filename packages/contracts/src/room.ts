import { z } from "zod";

import { MessageSchema } from "./message.ts";
import { IdSchema, TimestampSchema } from "./primitives.ts";
import { UserSchema } from "./user.ts";

export const RoomSchema = z
  .object({
    id: IdSchema,
    participants: z.array(UserSchema),
    createdAt: TimestampSchema,
    lastMessage: MessageSchema.nullable(),
    unread: z.number().int().nonnegative().describe("Messages from the other participant not yet marked `lu`"),
    version: z.number().int().nonnegative().describe("The room's change counter"),
  })
  .meta({ id: "Room" });
export type Room = z.infer<typeof RoomSchema>;

export const RoomCreateInputSchema = z.strictObject({
  participant: IdSchema.describe("The other user's id"),
});
export type RoomCreateInput = z.infer<typeof RoomCreateInputSchema>;

export const RoomIdInputSchema = z.strictObject({ id: IdSchema });
