import { expect } from "vitest";

import type { Ack, ClientToServerEvents, Room, ServerToClientEvents } from "@causette/contracts";

import {
  connectSocket,
  nextEvent,
  signUp,
  startServer,
  useFixture,
  type ClientSocket,
  type TestUser,
} from "./harness.ts";

export interface Pair {
  ana: TestUser;
  bob: TestUser;
  room: Room;
}

/** Two new users and their room, created by Ana over REST. */
export async function pair(url: string, names: [string, string] = ["ana", "bob"]): Promise<Pair> {
  const [ana, bob] = await Promise.all([signUp(url, names[0]), signUp(url, names[1])]);
  const created = await ana.api.post("/api/room/", { participant: bob.user.id });
  if (created.status !== 201)
    throw new Error(`room creation failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { ana, bob, room: created.body as Room };
}

/** Emits with an ack and resolves with the ack (rejects when none comes within `ms`). */
export function call<E extends keyof ClientToServerEvents>(
  socket: ClientSocket,
  event: E,
  payload: unknown,
  ms = 5000,
): Promise<Ack<any>> {
  return (socket.timeout(ms) as any).emitWithAck(event, payload) as Promise<Ack<any>>;
}

/** Every `event` the socket receives from now on, in order. */
export function record<E extends keyof ServerToClientEvents>(
  socket: ClientSocket,
  event: E,
): Array<Parameters<ServerToClientEvents[E]>[0]> {
  const seen: Array<Parameters<ServerToClientEvents[E]>[0]> = [];
  socket.on(event as never, ((payload: never) => seen.push(payload)) as never);
  return seen;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` passes, retrying until `ms` runs out (then fails with its last error). */
export async function eventually(check: () => void | Promise<void>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(20);
    }
  }
}

/** A connected socket that has joined the room (acknowledged). */
export async function joined(
  url: string,
  user: TestUser,
  roomId: number,
  options: Record<string, unknown> = {},
): Promise<ClientSocket> {
  const socket = await connectSocket(url, user.token, options);
  expect(await call(socket, "join_room", roomId)).toEqual({ ok: true, data: null });
  return socket;
}

/** Two users in a room, each with a socket that has joined it. */
export async function pairJoined(url: string): Promise<{ p: Pair; ana: ClientSocket; bob: ClientSocket }> {
  const p = await pair(url);
  const [ana, bob] = await Promise.all([joined(url, p.ana, p.room.id), joined(url, p.bob, p.room.id)]);
  return { p, ana, bob };
}

/** Asserts that no `event` reaches the socket within `ms`. */
export async function expectSilence(socket: ClientSocket, event: keyof ServerToClientEvents, ms = 300): Promise<void> {
  await expect(nextEvent(socket, event, ms)).rejects.toThrow(/no .* within/);
}

/** A server of the test file's own: started before its tests, closed after them. */
export function useServer(): { readonly url: string } {
  return useFixture(
    "The server",
    () => startServer(),
    (server) => server.close(),
  );
}

/** Two users in a room with a joined socket each, and Eve: connected, but in no room of theirs. */
async function pairJoinedAndOutsider(
  url: string,
): Promise<{ p: Pair; ana: ClientSocket; bob: ClientSocket; eve: { user: TestUser; socket: ClientSocket } }> {
  const { p, ana, bob } = await pairJoined(url);
  const user = await signUp(url, "eve");
  return { p, ana, bob, eve: { user, socket: await connectSocket(url, user.token) } };
}

/**
 * Ana and Bob with their sockets joined to their room, and Eve connected outside it: made once,
 * before the suite's tests, which read them as `f.p`, `f.ana`, `f.bob` and `f.eve`.
 */
export function useJoinedPair(server: { readonly url: string }): Awaited<ReturnType<typeof pairJoinedAndOutsider>> {
  return useFixture("useJoinedPair", () => pairJoinedAndOutsider(server.url));
}

/**
 * Bob (on `urls.bob`) watches Ana open a tab on `urls.tab1`, then one on `urls.tab2`, and close
 * them in turn: he hears her online once, and offline only after the last tab closes.
 */
export async function twoTabsPresence(urls: { bob: string; tab1: string; tab2: string }): Promise<void> {
  const p = await pair(urls.tab1);
  const bob = await connectSocket(urls.bob, p.bob.token);
  // Let Bob's own arrival (and the snapshot of who is online it answers him) settle first.
  await sleep(300);
  const seen = record(bob, "presence");
  const tab1 = await connectSocket(urls.tab1, p.ana.token);
  await eventually(() => expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]));
  const tab2 = await connectSocket(urls.tab2, p.ana.token);
  await sleep(500);
  tab1.disconnect();
  await expectSilence(bob, "presence", 500);
  expect(seen).toEqual([{ userId: p.ana.user.id, online: true }]);
  tab2.disconnect();
  await eventually(() =>
    expect(seen).toEqual([
      { userId: p.ana.user.id, online: true },
      { userId: p.ana.user.id, online: false },
    ]),
  );
}
