import { z } from "zod";

import { IdSchema, LimitSchema, PlainTextSchema, TimestampSchema } from "./primitives.ts";

/** The seed's receipt states, in the only order they may move: stored, delivered, read. */
export const MESSAGE_STATES = ["ok", "recu", "lu"] as const;
export const MessageStateSchema = z.enum(MESSAGE_STATES);
export type MessageState = z.infer<typeof MessageStateSchema>;

export const MESSAGE_MAX_LENGTH = 4000;

export const MessageTextSchema = PlainTextSchema
  // An empty text is also "only whitespace": one issue is enough.
  .min(1, { abort: true })
  .max(MESSAGE_MAX_LENGTH)
  .refine((s) => s.trim().length > 0, "must not be only whitespace");

export const ClientIdSchema = PlainTextSchema.min(1)
  .max(100)
  .describe("Chosen by the sender; the same one in the same room gives back the first message");

export const MessageSchema = z
  .object({
    id: IdSchema,
    roomId: IdSchema,
    sender: IdSchema.describe("The sender's user id"),
    message: z.string().describe("Empty on a deleted message"),
    state: MessageStateSchema,
    clientId: z.string().nullable(),
    version: z.number().int().positive(),
    createdAt: TimestampSchema,
    editedAt: TimestampSchema.nullable(),
    deletedAt: TimestampSchema.nullable(),
  })
  .meta({ id: "Message" });
export type Message = z.infer<typeof MessageSchema>;

export const SendMessageInputSchema = z.strictObject({
  roomId: IdSchema,
  message: MessageTextSchema,
  clientId: ClientIdSchema.optional(),
});
export type SendMessageInput = z.infer<typeof SendMessageInputSchema>;

export const MessageListInputSchema = z
  .strictObject({
    roomId: IdSchema,
    limit: LimitSchema(200, 50),
    before: IdSchema.optional().describe("The messages just before this message id"),
    after: IdSchema.optional().describe("The messages just after this message id"),
  })
  .refine((v) => v.before === undefined || v.after === undefined, {
    message: "give `before` or `after`, not both",
    path: ["after"],
  });
export type MessageListInput = z.input<typeof MessageListInputSchema>;

export const MessageEditInputSchema = z.strictObject({ id: IdSchema, message: MessageTextSchema });
export type MessageEditInput = z.infer<typeof MessageEditInputSchema>;

export const MessageIdInputSchema = z.strictObject({ id: IdSchema });

export const MessageSetStateInputSchema = z.strictObject({ id: IdSchema, state: MessageStateSchema });
export type MessageSetStateInput = z.infer<typeof MessageSetStateInputSchema>;

export const MarkReadInputSchema = z.strictObject({ id: IdSchema.describe("The room id"), messageId: IdSchema });
export type MarkReadInput = z.infer<typeof MarkReadInputSchema>;

export const MessageSearchInputSchema = z.strictObject({
  q: PlainTextSchema.trim().min(1).max(200),
  roomId: IdSchema.optional(),
  limit: LimitSchema(100, 20),
});
export type MessageSearchInput = z.input<typeof MessageSearchInputSchema>;

export const ChangesInputSchema = z.strictObject({
  id: IdSchema.describe("The room id"),
  since: z.number().int().nonnegative().default(0),
});
export type ChangesInput = z.input<typeof ChangesInputSchema>;
