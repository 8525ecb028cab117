import type { ClientRequestArgs } from "node:http";
import { afterAll } from "vitest";
import WS, { type ClientOptions } from "ws";

import { startServer, type TestServer } from "@causette/server/test-harness";

import {
  createChatClient,
  type ChatClient,
  type ChatClientOptions,
  type RealtimeEventName,
  type RealtimeEvents,
  type Room,
  type User,
} from "../src/index.ts";

let counter = 0;

export interface SdkUser {
  chat: ChatClient;
  user: User;
  email: string;
  password: string;
}

/** A new user, signed up and logged in through the SDK; its socket is closed after the file. */
export async function sdkUser(url: string, name: string, options: Partial<ChatClientOptions> = {}): Promise<SdkUser> {
  counter += 1;
  const suffix = `${process.pid.toString(36)}${counter}${Math.random().toString(36).slice(2, 6)}`;
  const email = `${name}.${suffix}@example.com`;
  const password = "correct horse battery";
  const chat = createChatClient({ url, transports: ["websocket"], ...options });
  await chat.auth.register({ username: `${name}_${suffix}`, email, password });
  const { user } = await chat.auth.login({ email, password });
  afterAll(() => chat.realtime.disconnect());
  return { chat, user, email, password };
}

export interface TwoInARoom {
  server: TestServer;
  ana: SdkUser;
  bob: SdkUser;
  room: Room;
}

/** A live server with two SDK users who share a room (close the server after the file). */
export async function twoInARoom(): Promise<TwoInARoom> {
  const server = await startServer();
  const ana = await sdkUser(server.url, "ana");
  const bob = await sdkUser(server.url, "bob");
  const room = await ana.chat.rooms.create({ participant: bob.user.id });
  return { server, ana, bob, room };
}

/** Every `event` the client delivers from now on, in order. */
export function collect<E extends RealtimeEventName>(
  chat: ChatClient,
  event: E,
): Array<Parameters<RealtimeEvents[E]>[0]> {
  const seen: Array<Parameters<RealtimeEvents[E]>[0]> = [];
  chat.realtime.on(event, ((payload: Parameters<RealtimeEvents[E]>[0]) => {
    seen.push(payload);
  }) as RealtimeEvents[E]);
  return seen;
}

/** The next `event` the client delivers (that matches), or a rejection after `ms`. */
export function next<E extends RealtimeEventName>(
  chat: ChatClient,
  event: E,
  match: (payload: Parameters<RealtimeEvents[E]>[0]) => boolean = () => true,
  ms = 5_000,
): Promise<Parameters<RealtimeEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${ms} ms`));
    }, ms);
    const off = chat.realtime.on(event, ((payload: Parameters<RealtimeEvents[E]>[0]) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    }) as RealtimeEvents[E]);
  });
}

export async function until(check: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The URL a `fetch` was called with. */
export const urlOf = (input: string | URL | Request) =>
  typeof input === "string" ? input : input instanceof URL ? input.href : input.url;

/**
 * A network the test can cut: WebSockets opened through it fail while it is down, and cutting it
 * kills those open, as a dropped connection would. `dropNextAck` swallows the next acknowledgement
 * that the server sends, as if the answer had been lost on the way; `ackDelay` makes them late.
 */
export class FlakyNetwork {
  down = false;
  private dropAcks = 0;
  /** Every acknowledgement arrives this many ms late (other packets on time). */
  ackDelay = 0;
  private readonly open = new Set<WS>();

  readonly WebSocket: new (url: string, protocols?: string | string[]) => WS;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const network = this;
    this.WebSocket = class FlakyWebSocket extends WS {
      constructor(url: string, protocols?: string | string[], options?: ClientOptions | ClientRequestArgs) {
        super(network.down ? "ws://127.0.0.1:9/" : url, protocols, options);
        network.open.add(this);
        this.on("close", () => network.open.delete(this));
        // Wrap the handler engine.io installs, so the test can lose an answer on the way.
        const own = Object.getOwnPropertyDescriptor(WS.prototype, "onmessage")!;
        Object.defineProperty(this, "onmessage", {
          configurable: true,
          get: () => own.get!.call(this),
          set: (listener: ((event: WS.MessageEvent) => void) | null) => {
            own.set!.call(
              this,
              listener &&
                ((event: WS.MessageEvent) => {
                  // socket.io acks are engine.io "message" (4) + socket.io "ack" (3) packets.
                  const isAck = typeof event.data === "string" && event.data.startsWith("43");
                  if (isAck && network.dropAcks > 0) {
                    network.dropAcks -= 1;
                    return;
                  }
                  if (isAck && network.ackDelay > 0) {
                    setTimeout(() => listener(event), network.ackDelay);
                    return;
                  }
                  listener(event);
                }),
            );
          },
        });
      }
    };
  }

  cut(): void {
    this.down = true;
    for (const socket of this.open) socket.terminate();
  }

  restore(): void {
    this.down = false;
  }

  dropNextAck(): void {
    this.dropAcks += 1;
  }
}
