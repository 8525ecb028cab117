import { z } from "zod";

import { HealthSchema, LivenessSchema, ReadinessSchema } from "./health.ts";
import {
  ChangesInputSchema,
  MarkReadInputSchema,
  MessageEditInputSchema,
  MessageIdInputSchema,
  MessageListInputSchema,
  MessageSchema,
  MessageSearchInputSchema,
  MessageSetStateInputSchema,
  ReactionInputSchema,
  SendMessageInputSchema,
  ThreadListInputSchema,
} from "./message.ts";
import {
  ChangesSchema,
  MemberListInputSchema,
  MemberRefInputSchema,
  MembersAddInputSchema,
  MemberSchema,
  MemberSetRoleInputSchema,
  PublicRoomListInputSchema,
  PublicRoomSchema,
  ReceiptSchema,
  RoomCreateInputSchema,
  RoomIdInputSchema,
  RoomListInputSchema,
  RoomSchema,
  RoomUpdateInputSchema,
} from "./room.ts";
import {
  LoginInputSchema,
  LoginOutputSchema,
  LogoutInputSchema,
  LogoutOutputSchema,
  RegisterInputSchema,
  UserIdInputSchema,
  UserListInputSchema,
  UserSchema,
} from "./user.ts";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/**
 * One REST route: served by the procedure of the same name, with input gathered from the path
 * (`:id` keeps its name unless `params` renames it), the query string and the JSON body.
 */
export interface RestRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  /** Success status; a procedure may answer another one (200 for an existing room, 503 for health). */
  readonly status: number;
  readonly auth: boolean;
  readonly summary: string;
  readonly tag: string;
  /** Path parameter name -> input field, where they differ. */
  readonly params?: Readonly<Record<string, string>>;
  /** Input fields a write takes from the query string (reads take every field from it; writes none but these). */
  readonly query?: readonly string[];
}

/** Procedures without input take nothing over tRPC, and `{}` over REST. */
const NoInputSchema = z.strictObject({}).prefault({});

/** Every REST route, keyed by the tRPC procedure that serves it; the order is the matching order. */
export const restRoutes = {
  "user.register": {
    method: "post",
    path: "/api/user",
    input: RegisterInputSchema,
    output: UserSchema,
    status: 201,
    auth: false,
    tag: "user",
    summary: "Sign up",
  },
  "user.login": {
    method: "post",
    path: "/api/user/connexion",
    input: LoginInputSchema,
    output: LoginOutputSchema,
    status: 200,
    auth: false,
    tag: "user",
    summary: "Log in: answers the token and sets the auth cookie",
  },
  "user.logout": {
    method: "post",
    path: "/api/user/deconnexion",
    input: LogoutInputSchema,
    output: LogoutOutputSchema,
    status: 200,
    auth: false,
    tag: "user",
    query: ["all"],
    summary:
      "Log out: revokes the token (`?all=true`: every token of the user, on every device) and clears the auth cookie",
  },
  "user.me": {
    method: "get",
    path: "/api/user/me",
    input: NoInputSchema,
    output: UserSchema,
    status: 200,
    auth: true,
    tag: "user",
    summary: "The caller",
  },
  "user.get": {
    method: "get",
    path: "/api/user/id/:id",
    input: UserIdInputSchema,
    output: UserSchema,
    status: 200,
    auth: true,
    tag: "user",
    summary: "One user",
  },
  "user.list": {
    method: "get",
    path: "/api/user/",
    input: UserListInputSchema,
    output: z.array(UserSchema),
    status: 200,
    auth: true,
    tag: "user",
    summary: "Users, by id; `search` matches username and email",
  },
  "room.list": {
    method: "get",
    path: "/api/room/",
    input: RoomListInputSchema,
    output: z.array(RoomSchema),
    status: 200,
    auth: true,
    tag: "room",
    summary: "The caller's rooms, most recent activity first, keyset paged (`before` a room)",
  },
  "room.create": {
    method: "post",
    path: "/api/room/",
    input: RoomCreateInputSchema,
    output: RoomSchema,
    status: 201,
    auth: true,
    tag: "room",
    summary:
      "`{ participant }`: the direct room of the pair (201 when new, 200 when it exists); `{ name, participants }`: a new group the caller owns",
  },
  "room.discover": {
    method: "get",
    path: "/api/room/public",
    input: PublicRoomListInputSchema,
    output: z.array(PublicRoomSchema),
    status: 200,
    auth: true,
    tag: "room",
    summary: "Public groups the caller can join, by id; `search` matches name and topic",
  },
  "room.get": {
    method: "get",
    path: "/api/room/:id",
    input: RoomIdInputSchema,
    output: RoomSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary: "One of the caller's rooms, as in the list",
  },
  "room.update": {
    method: "patch",
    path: "/api/room/:id",
    input: RoomUpdateInputSchema,
    output: RoomSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary: "Rename a group, or change its topic or visibility: owner or admin",
  },
  "room.join": {
    method: "post",
    path: "/api/room/:id/join",
    input: RoomIdInputSchema,
    output: RoomSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary: "Join a public group",
  },
  "room.listMembers": {
    method: "get",
    path: "/api/room/:id/members",
    input: MemberListInputSchema,
    output: z.array(MemberSchema),
    status: 200,
    auth: true,
    tag: "room",
    summary: "A room's members, by user id, keyset paged (`after` a user id)",
  },
  "room.addMembers": {
    method: "post",
    path: "/api/room/:id/members",
    input: MembersAddInputSchema,
    output: z.array(MemberSchema),
    status: 200,
    auth: true,
    tag: "room",
    summary: "Add members to a group (owner or admin); answers those who were not members yet",
  },
  "room.removeMember": {
    method: "delete",
    path: "/api/room/:id/members/:userId",
    input: MemberRefInputSchema,
    output: z.object({ ok: z.literal(true) }),
    status: 200,
    auth: true,
    tag: "room",
    summary:
      "Remove a member (owner or admin; an admin cannot remove the owner), or leave when `userId` is the caller's own",
  },
  "room.setMemberRole": {
    method: "patch",
    path: "/api/room/:id/members/:userId",
    input: MemberSetRoleInputSchema,
    output: MemberSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary: "Make a member an admin, or an admin a member: owner only",
  },
  "room.changes": {
    method: "get",
    path: "/api/room/:id/changes",
    input: ChangesInputSchema,
    output: ChangesSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary:
      "Every message changed after version `since`, in version order; for a group also the members and the room if they changed",
  },
  "room.markRead": {
    method: "post",
    path: "/api/room/:id/read",
    input: MarkReadInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "room",
    summary: "Mark `messageId` and every earlier message from the other participant `lu`",
  },
  "message.search": {
    method: "get",
    path: "/api/chat/search",
    input: MessageSearchInputSchema,
    output: z.array(MessageSchema),
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Full-text search over the caller's rooms, newest first",
  },
  "message.receipts": {
    method: "get",
    path: "/api/chat/:id/receipts",
    input: MessageIdInputSchema,
    output: z.array(ReceiptSchema),
    status: 200,
    auth: true,
    tag: "chat",
    summary: "How far each other member got with the message (`ok`, `recu`, `lu`)",
  },
  "message.thread": {
    method: "get",
    path: "/api/chat/:id/thread",
    input: ThreadListInputSchema,
    output: z.array(MessageSchema),
    status: 200,
    auth: true,
    tag: "chat",
    summary:
      "A thread's replies (`:id` its root), oldest first: the latest `limit`, or those just `before` or `after` a message id",
  },
  "message.react": {
    method: "post",
    path: "/api/chat/:id/reactions",
    input: ReactionInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Add the caller's reaction `emoji` (a second add changes nothing); at most 50 distinct emoji a message",
  },
  "message.unreact": {
    method: "delete",
    path: "/api/chat/:id/reactions/:emoji",
    input: ReactionInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Remove the caller's reaction `emoji` (URL-encoded)",
  },
  "message.list": {
    method: "get",
    path: "/api/chat/:id",
    input: MessageListInputSchema,
    output: z.array(MessageSchema),
    status: 200,
    auth: true,
    tag: "chat",
    params: { id: "roomId" },
    summary:
      "A room's messages without thread replies, oldest first: the latest `limit`, or those just `before` or `after` a message id",
  },
  "message.send": {
    method: "post",
    path: "/api/chat/",
    input: SendMessageInputSchema,
    output: MessageSchema,
    status: 201,
    auth: true,
    tag: "chat",
    summary:
      "Send a message (a thread reply with `parentId`, a quote with `quotedId`); the same `clientId` gives back the first one",
  },
  "message.edit": {
    method: "put",
    path: "/api/chat/:id",
    input: MessageEditInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Edit one's own message",
  },
  "message.setState": {
    method: "patch",
    path: "/api/chat/:id/state",
    input: MessageSetStateInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Move a received message's state forward (`ok`, `recu`, `lu`)",
  },
  "message.delete": {
    method: "delete",
    path: "/api/chat/:id",
    input: MessageIdInputSchema,
    output: MessageSchema,
    status: 200,
    auth: true,
    tag: "chat",
    summary: "Delete one's own message, leaving a tombstone",
  },
  "system.health": {
    method: "get",
    path: "/api/health",
    input: NoInputSchema,
    output: HealthSchema,
    status: 200,
    auth: false,
    tag: "system",
    summary: "Liveness and database readiness (503 when the database does not answer)",
  },
  "system.live": {
    method: "get",
    path: "/api/health/live",
    input: NoInputSchema,
    output: LivenessSchema,
    status: 200,
    auth: false,
    tag: "system",
    summary: "Liveness: the process answers (checks nothing else)",
  },
  "system.ready": {
    method: "get",
    path: "/api/health/ready",
    input: NoInputSchema,
    output: ReadinessSchema,
    status: 200,
    auth: false,
    tag: "system",
    summary: "Readiness: the database, and Redis when configured, answer (503 otherwise)",
  },
} as const satisfies Record<string, RestRoute>;

export type RestProcedure = keyof typeof restRoutes;
