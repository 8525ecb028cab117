import { z } from "zod";

import { ErrorBodySchema } from "./errors.ts";
import { ClientIdSchema, MessageSchema, MessageStateSchema, MessageTextSchema, SendOptionsShape } from "./message.ts";
import { IdSchema } from "./primitives.ts";
import {
  ChangesSchema,
  MemberChangeEventSchema,
  MemberLeftEventSchema,
  ReadMarkerSchema,
  RoomSchema,
  RoomUpdatedEventSchema,
} from "./room.ts";

// Client -> server payloads. `join_room` takes the bare room id, as the seed's client sends it.
export const RoomRefSchema = z.union([IdSchema, z.strictObject({ roomId: IdSchema })]);
export type RoomRef = z.infer<typeof RoomRefSchema>;

export const SocketSendMessageSchema = z.strictObject({
  roomId: IdSchema,
  message: MessageTextSchema,
  sender: IdSchema.optional().describe("If given, must be the caller's id"),
  clientId: ClientIdSchema.optional(),
  ...SendOptionsShape,
});
export type SocketSendMessage = z.infer<typeof SocketSendMessageSchema>;

export const SocketMessageStateSchema = z.strictObject({
  roomId: IdSchema,
  messageId: IdSchema,
  state: MessageStateSchema,
});
export type SocketMessageState = z.infer<typeof SocketMessageStateSchema>;

export const TypingInputSchema = z.strictObject({ roomId: IdSchema, isTyping: z.boolean() });
export type TypingInput = z.infer<typeof TypingInputSchema>;

export const SyncInputSchema = z.strictObject({ roomId: IdSchema, since: z.number().int().nonnegative() });
export type SyncInput = z.infer<typeof SyncInputSchema>;

// Server -> client payloads.
export const MessageStateUpdateSchema = z.object({
  roomId: IdSchema,
  messageId: IdSchema,
  state: MessageStateSchema,
  version: z.number().int().positive(),
  userId: IdSchema.describe("Who moved the state: the recipient"),
});
export type MessageStateUpdate = z.infer<typeof MessageStateUpdateSchema>;

export const ReactionEventSchema = z.object({
  roomId: IdSchema,
  messageId: IdSchema,
  emoji: z.string(),
  userId: IdSchema.describe("Who reacted: a client whose own id this is sets `me` on its copy"),
  version: z.number().int().positive(),
  count: z.number().int().nonnegative().describe("How many members now react with this emoji"),
});
export type ReactionEvent = z.infer<typeof ReactionEventSchema>;

export const MentionEventSchema = z.object({ roomId: IdSchema, message: MessageSchema });
export type MentionEvent = z.infer<typeof MentionEventSchema>;

export const TypingEventSchema = z.object({ roomId: IdSchema, userId: IdSchema, isTyping: z.boolean() });
export type TypingEvent = z.infer<typeof TypingEventSchema>;

export const PresenceEventSchema = z.object({ userId: IdSchema, online: z.boolean() });
export type PresenceEvent = z.infer<typeof PresenceEventSchema>;

export const RoomVersionsEventSchema = z
  .object({
    rooms: z.array(z.object({ roomId: IdSchema, version: z.number().int().nonnegative() })),
  })
  .describe(
    "The current version of each room the socket joined, every 30 s and after an outage: a room whose version is above the last one the client saw has changes it missed (fetch them with `sync`)",
  );
export type RoomVersionsEvent = z.infer<typeof RoomVersionsEventSchema>;

/** Every acknowledgement: the result, or the same error body REST answers. */
export const ackSchema = <T extends z.ZodType>(data: T) =>
  z.union([
    z.object({ ok: z.literal(true), data }),
    z.object({ ok: z.literal(false), error: ErrorBodySchema.shape.error }),
  ]);
export type Ack<T = null> = { ok: true; data: T } | { ok: false; error: z.infer<typeof ErrorBodySchema>["error"] };
export type AckCallback<T = null> = (response: Ack<T>) => void;

/**
 * Every socket event, declared once: its payload schema here, its acknowledgement's data in
 * `clientEventAckSchemas`; the event interfaces below are derived from these maps. Client -> server:
 */
export const clientEventSchemas = {
  join_room: RoomRefSchema,
  leave_room: RoomRefSchema,
  send_message: SocketSendMessageSchema,
  message_state: SocketMessageStateSchema,
  typing: TypingInputSchema,
  sync: SyncInputSchema,
} as const;

/** What each client event's acknowledgement carries when it succeeds (`{ ok: true, data }`). */
export const clientEventAckSchemas = {
  join_room: z.null(),
  leave_room: z.null(),
  send_message: MessageSchema,
  message_state: MessageSchema,
  typing: z.null(),
  sync: ChangesSchema,
} as const satisfies Record<ClientEventName, z.ZodType>;

/** Server -> client payloads. */
export const serverEventSchemas = {
  receive_message: MessageSchema,
  message_state_update: MessageStateUpdateSchema,
  message_updated: MessageSchema,
  message_deleted: MessageSchema,
  typing: TypingEventSchema,
  presence: PresenceEventSchema,
  room_created: RoomSchema,
  room_updated: RoomUpdatedEventSchema,
  member_joined: MemberChangeEventSchema,
  member_left: MemberLeftEventSchema,
  read_marker: ReadMarkerSchema,
  reaction_added: ReactionEventSchema,
  reaction_removed: ReactionEventSchema,
  /** To the mentioned user's private channel. */
  mention: MentionEventSchema,
  room_versions: RoomVersionsEventSchema,
} as const;

export type ClientEventName = keyof typeof clientEventSchemas;
export type ServerEventName = keyof typeof serverEventSchemas;
export type ClientEventPayload<E extends ClientEventName> = z.infer<(typeof clientEventSchemas)[E]>;
export type ClientEventResult<E extends ClientEventName> = z.infer<(typeof clientEventAckSchemas)[E]>;
export type ServerEventPayload<E extends ServerEventName> = z.infer<(typeof serverEventSchemas)[E]>;

export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientEventPayload<E>, ack?: AckCallback<ClientEventResult<E>>) => void;
};

export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventPayload<E>) => void;
};

// Nothing travels between server nodes but the adapter's own traffic.
/** Between server nodes: log-out revoked a token (`jti`) or every token of a user. */
export interface InterServerEvents {
  tokens_revoked: (revocation: { userId: number; jti?: string }) => void;
}

export interface SocketData {
  userId: number;
  /** The id of the token the socket was opened with (log-out of that token ends the socket). */
  jti: string;
  /** When that token expires (unix seconds): the socket ends then. */
  expiresAt: number;
  /**
   * When the socket passed its (asynchronous) token check and joined its user channel: presence
   * names a user's oldest socket by it (the handshake's own time can be older than an arrival that
   * another socket already saw).
   */
  arrivedAt: number;
}

/**
 * The message a refused handshake carries in `connect_error`; a connected socket whose token expires
 * or is revoked gets the same `connect_error` (with `data.reason` "expired" or "revoked"), then is
 * disconnected.
 */
export const HANDSHAKE_UNAUTHORIZED = "UNAUTHORIZED";
