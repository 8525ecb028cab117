import { z } from "zod";

import { FileSchema } from "./file.ts";
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

/** A quote as it was when quoted: the original's sender and first characters. */
export const QUOTE_EXCERPT_LENGTH = 200;
export const QuotedSchema = z
  .object({
    id: IdSchema,
    sender: IdSchema,
    excerpt: z
      .string()
      .describe(`The original's first ${QUOTE_EXCERPT_LENGTH} characters when quoted; empty once deleted`),
    deleted: z.boolean().describe("The original was deleted"),
  })
  .meta({ id: "Quoted" });
export type Quoted = z.infer<typeof QuotedSchema>;

export const ReactionSchema = z
  .object({
    emoji: z.string(),
    count: z.number().int().positive(),
    me: z
      .boolean()
      .describe(
        "The caller reacted with it. Live broadcasts (`receive_message`, `message_updated`, `message_deleted`) serve every member at once and carry `false`: `reaction_added`/`reaction_removed` name the user",
      ),
  })
  .meta({ id: "Reaction" });
export type Reaction = z.infer<typeof ReactionSchema>;

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
    parentId: IdSchema.nullable().describe("The thread's root, for a thread reply"),
    quotedId: IdSchema.nullable().describe("The quoted message, for a quote reply"),
    quoted: QuotedSchema.nullable(),
    replyCount: z.number().int().nonnegative().describe("A root's thread replies (deleted ones not counted)"),
    lastReplyAt: TimestampSchema.nullable(),
    reactions: z.array(ReactionSchema).describe("Each emoji once, in the order first used"),
    mentions: z.array(IdSchema).describe("The mentioned members' user ids"),
    attachments: z
      .array(FileSchema)
      .describe("The files sent with it, in order (`GET /api/files/:id`); empty on a deleted message"),
  })
  .meta({ id: "Message" });
export type Message = z.infer<typeof MessageSchema>;

/** How many files one message may carry. */
export const MAX_ATTACHMENTS = 10;

export const AttachmentsSchema = z
  .array(IdSchema)
  .max(MAX_ATTACHMENTS)
  .refine((ids) => new Set(ids).size === ids.length, "must not name a file twice")
  .describe(
    `Ids of the sender's own uploads (\`POST /api/files\`), at most ${MAX_ATTACHMENTS}: from then on every member of the room may read them`,
  );

export const SendOptionsShape = {
  parentId: IdSchema.optional().describe("Reply in the thread of this top-level message of the room"),
  quotedId: IdSchema.optional().describe("Quote this message of the room"),
  attachments: AttachmentsSchema.optional(),
};

export const SendMessageInputSchema = z.strictObject({
  roomId: IdSchema,
  message: MessageTextSchema,
  clientId: ClientIdSchema.optional(),
  ...SendOptionsShape,
});
export type SendMessageInput = z.infer<typeof SendMessageInputSchema>;

/** A keyset page of `what`, by message id: the latest `limit`, or those just `before` or `after` an id. */
const pageShape = (what: string) => ({
  limit: LimitSchema(200, 50),
  before: IdSchema.optional().describe(`The ${what} just before this message id`),
  after: IdSchema.optional().describe(`The ${what} just after this message id`),
});
const oneCursor: [
  (v: { before?: number | undefined; after?: number | undefined }) => boolean,
  { message: string; path: string[] },
] = [
  (v) => v.before === undefined || v.after === undefined,
  { message: "give `before` or `after`, not both", path: ["after"] },
];

export const MessageListInputSchema = z
  .strictObject({ roomId: IdSchema, ...pageShape("messages") })
  .refine(...oneCursor);
export type MessageListInput = z.input<typeof MessageListInputSchema>;

export const ThreadListInputSchema = z
  .strictObject({ id: IdSchema.describe("The thread's root"), ...pageShape("replies") })
  .refine(...oneCursor);
export type ThreadListInput = z.input<typeof ThreadListInputSchema>;

export const MAX_DISTINCT_REACTIONS = 50;
export const EMOJI_MAX_LENGTH = 32;

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });
// The `v` flag (Unicode sets) knows emoji sequences; built at run time for TypeScript's ES2023 target.
const RGI_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");
/** Pictographs with their modifiers, joiners and presentation selectors (non-RGI sequences too). */
const PICTOGRAPHIC =
  /^(?=.*\p{Extended_Pictographic})(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3)+$/u;
const SHORT_NAME = /^:[\p{L}\p{N}_+'-]+:$/u;

/** One emoji grapheme, or a `:short_name:`. */
export function isReactionEmoji(value: string): boolean {
  if (value.length === 0 || value.length > EMOJI_MAX_LENGTH) return false;
  if (SHORT_NAME.test(value)) return true;
  if ([...graphemes.segment(value)].length !== 1) return false;
  return RGI_EMOJI.test(value) || PICTOGRAPHIC.test(value);
}

export const EmojiSchema = z
  .string()
  .refine(isReactionEmoji, `one emoji, or a :short_name: of at most ${EMOJI_MAX_LENGTH} characters`)
  .describe("One emoji grapheme, or a `:short_name:` of at most 32 characters");

export const ReactionInputSchema = z.strictObject({ id: IdSchema.describe("The message id"), emoji: EmojiSchema });
export type ReactionInput = z.infer<typeof ReactionInputSchema>;

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
