import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { describe, expectTypeOf, it } from "vitest";

import type { Changes, Message, MessageStateUpdate, Room, User } from "@causette/contracts";
import type { AppRouter } from "@causette/server/router";

import {
  createChatClient,
  type ChatClient,
  type ChatError,
  type ChatErrorCode,
  type RequestOptions,
} from "../src/index.ts";

type In = inferRouterInputs<AppRouter>;
type Out = inferRouterOutputs<AppRouter>;
type Arg<F> = F extends (input: infer I, ...rest: never[]) => unknown ? I : never;
type Result<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;

const chat = createChatClient({ url: "http://localhost:5050" });

describe("the SDK's types are the server's", () => {
  it("takes a call's options after its input, and names an aborted call", () => {
    expectTypeOf(chat.messages.list).parameter(1).toEqualTypeOf<RequestOptions | undefined>();
    expectTypeOf(chat.users.me).parameter(0).toEqualTypeOf<RequestOptions | undefined>();
    expectTypeOf<Extract<ChatErrorCode, "ABORTED">>().toEqualTypeOf<"ABORTED">();
  });

  it("takes each procedure's input and answers its output", () => {
    expectTypeOf<Arg<ChatClient["auth"]["register"]>>().toEqualTypeOf<In["user"]["register"]>();
    expectTypeOf<Result<ChatClient["auth"]["register"]>>().toEqualTypeOf<Out["user"]["register"]>();
    expectTypeOf<Arg<ChatClient["auth"]["login"]>>().toEqualTypeOf<In["user"]["login"]>();
    expectTypeOf<Result<ChatClient["auth"]["login"]>>().toEqualTypeOf<Out["user"]["login"]>();
    expectTypeOf<NonNullable<Parameters<ChatClient["users"]["list"]>[0]>>().toEqualTypeOf<
      Exclude<In["user"]["list"], void | undefined>
    >();
    expectTypeOf<Result<ChatClient["users"]["list"]>>().toEqualTypeOf<Out["user"]["list"]>();
    expectTypeOf<Result<ChatClient["users"]["me"]>>().toEqualTypeOf<Out["user"]["me"]>();
    expectTypeOf<Result<ChatClient["users"]["get"]>>().toEqualTypeOf<Out["user"]["get"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["create"]>>().toEqualTypeOf<In["room"]["create"]>();
    expectTypeOf<Result<ChatClient["rooms"]["create"]>>().toEqualTypeOf<Out["room"]["create"]>();
    expectTypeOf<Result<ChatClient["rooms"]["list"]>>().toEqualTypeOf<Out["room"]["list"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["changes"]>>().toEqualTypeOf<In["room"]["changes"]>();
    expectTypeOf<Result<ChatClient["rooms"]["changes"]>>().toEqualTypeOf<Out["room"]["changes"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["markRead"]>>().toEqualTypeOf<In["room"]["markRead"]>();
    expectTypeOf<Result<ChatClient["rooms"]["markRead"]>>().toEqualTypeOf<Out["room"]["markRead"]>();
    expectTypeOf<Arg<ChatClient["messages"]["send"]>>().toEqualTypeOf<In["message"]["send"]>();
    expectTypeOf<Result<ChatClient["messages"]["send"]>>().toEqualTypeOf<Out["message"]["send"]>();
    expectTypeOf<Arg<ChatClient["messages"]["list"]>>().toEqualTypeOf<In["message"]["list"]>();
    expectTypeOf<Result<ChatClient["messages"]["list"]>>().toEqualTypeOf<Out["message"]["list"]>();
    expectTypeOf<Arg<ChatClient["messages"]["edit"]>>().toEqualTypeOf<In["message"]["edit"]>();
    expectTypeOf<Arg<ChatClient["messages"]["setState"]>>().toEqualTypeOf<In["message"]["setState"]>();
    expectTypeOf<Result<ChatClient["messages"]["delete"]>>().toEqualTypeOf<Out["message"]["delete"]>();
    expectTypeOf<Arg<ChatClient["messages"]["search"]>>().toEqualTypeOf<In["message"]["search"]>();
    expectTypeOf<Result<ChatClient["messages"]["search"]>>().toEqualTypeOf<Out["message"]["search"]>();
    expectTypeOf<Result<ChatClient["system"]["health"]>>().toEqualTypeOf<Out["system"]["health"]>();
  });

  it("types the group procedures and events from the server's", () => {
    expectTypeOf<Result<ChatClient["rooms"]["createGroup"]>>().toEqualTypeOf<Out["room"]["create"]>();
    expectTypeOf<Result<ChatClient["rooms"]["get"]>>().toEqualTypeOf<Out["room"]["get"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["update"]>>().toEqualTypeOf<In["room"]["update"]>();
    expectTypeOf<Result<ChatClient["rooms"]["update"]>>().toEqualTypeOf<Out["room"]["update"]>();
    expectTypeOf<Result<ChatClient["rooms"]["discover"]>>().toEqualTypeOf<Out["room"]["discover"]>();
    expectTypeOf<Result<ChatClient["rooms"]["join"]>>().toEqualTypeOf<Out["room"]["join"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["members"]["list"]>>().toEqualTypeOf<In["room"]["listMembers"]>();
    expectTypeOf<Result<ChatClient["rooms"]["members"]["list"]>>().toEqualTypeOf<Out["room"]["listMembers"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["members"]["add"]>>().toEqualTypeOf<In["room"]["addMembers"]>();
    expectTypeOf<Arg<ChatClient["rooms"]["members"]["setRole"]>>().toEqualTypeOf<In["room"]["setMemberRole"]>();
    expectTypeOf<Result<ChatClient["messages"]["receipts"]>>().toEqualTypeOf<Out["message"]["receipts"]>();
    chat.realtime.on("member_left", (event) => {
      expectTypeOf(event.reason).toEqualTypeOf<"left" | "removed">();
    });
    chat.realtime.on("read_marker", (marker) => {
      expectTypeOf(marker.lastReadId).toEqualTypeOf<number>();
    });
    chat.realtime.on("room_removed", (info) => {
      expectTypeOf(info).toEqualTypeOf<{ roomId: number; reason: "left" | "removed" }>();
    });
  });

  it("answers the contracts' types", () => {
    expectTypeOf(chat.messages.send).returns.resolves.toEqualTypeOf<Message>();
    expectTypeOf(chat.rooms.create).returns.resolves.toEqualTypeOf<Room>();
    expectTypeOf(chat.users.get).returns.resolves.toEqualTypeOf<User>();
    expectTypeOf(chat.rooms.changes).returns.resolves.toEqualTypeOf<Changes>();
    expectTypeOf(chat.realtime.sendMessage).returns.resolves.toEqualTypeOf<Message>();
    expectTypeOf(chat.auth.token).returns.toEqualTypeOf<string | null>();
  });
});

describe("a wrong field is a compile error", () => {
  it("refuses unknown fields, wrong types and missing fields", () => {
    // @ts-expect-error: `text` is not a field of send; `message` is
    void chat.messages.send({ roomId: 1, text: "hi" });
    // @ts-expect-error: roomId is a number
    void chat.messages.send({ roomId: "1", message: "hi" });
    // @ts-expect-error: `message` is missing
    void chat.messages.send({ roomId: 1 });
    // @ts-expect-error: not a state
    void chat.messages.setState({ id: 1, state: "read" });
    // @ts-expect-error: `participant`, not `userId`
    void chat.rooms.create({ userId: 2 });
    // @ts-expect-error: login takes an email, not a username
    void chat.auth.login({ username: "ana", password: "x" });
    // @ts-expect-error: list needs the room
    void chat.messages.list({ limit: 10 });
    // @ts-expect-error: sync takes `since`, not `after`
    void chat.realtime.sync({ roomId: 1, after: 3 });
    // @ts-expect-error: users.get takes the id itself
    void chat.users.get({ id: 1 });
    // @ts-expect-error: a Message has no `text`
    void chat.messages.send({ roomId: 1, message: "hi" }).then((m) => m.text);
    expectTypeOf(chat.messages.send).parameter(0).toHaveProperty("clientId").toEqualTypeOf<string | undefined>();
  });

  it("types every event listener from the contracts", () => {
    chat.realtime.on("receive_message", (message) => {
      expectTypeOf(message).toEqualTypeOf<Message>();
    });
    chat.realtime.on("message_state_update", (update) => {
      expectTypeOf(update).toEqualTypeOf<MessageStateUpdate>();
    });
    chat.realtime.on("synced", (info) => {
      expectTypeOf(info.missed).toBeNumber();
    });
    // @ts-expect-error: not an event the server sends
    chat.realtime.on("new_message", () => {});
    // @ts-expect-error: receive_message carries a Message, not a string
    chat.realtime.on("receive_message", (message: string) => message);
  });
});

describe("errors", () => {
  it("ChatError carries the contract's code and the status", () => {
    expectTypeOf<ChatError["code"]>().toEqualTypeOf<ChatErrorCode>();
    expectTypeOf<"NOT_FOUND">().toExtend<ChatErrorCode>();
    expectTypeOf<"NETWORK" | "TIMEOUT">().toExtend<ChatErrorCode>();
    expectTypeOf<ChatError["status"]>().toBeNumber();
  });
});
