// The README's five-minute example: `pnpm --filter @causette/sdk quickstart` with a server on :5050
// (`pnpm start` at the repository root). It runs as often as you like: ana and bob are signed up
// the first time only.
// In your own app: import { ChatError, createChatClient } from "@causette/sdk";
import { ChatError, createChatClient } from "../src/index.ts";
import { signIn } from "./sign-in.ts";

const url = process.argv[2] ?? "http://localhost:5050"; // or the server named on the command line
const password = "correct horse battery"; // as in the README's curl example
const ana = createChatClient({ url });
const bob = createChatClient({ url });

// Logs in (keeping the token for every later call), signing up first if needed.
await signIn(ana, { username: "ana", email: "ana@example.com", password });
const bobUser = await signIn(bob, { username: "bob", email: "bob@example.com", password });

// One private room per pair: creating it again gives back the same one.
const room = await ana.rooms.create({ participant: bobUser.id });

// Bob listens, and marks what he receives read.
await bob.realtime.connect();
const receipts: Array<Promise<unknown>> = [];
let bothHeard!: () => void;
const heard = new Promise<void>((resolve) => (bothHeard = resolve));
bob.realtime.on("receive_message", (message) => {
  console.log(`${message.sender}: ${message.message}`); // message: Message, typed from the contracts
  receipts.push(bob.realtime.setState({ roomId: message.roomId, messageId: message.id, state: "lu" }));
  if (receipts.length === 2) bothHeard();
});
await bob.realtime.joinRoom(room.id);

// Ana talks, over HTTP or over her socket.
await ana.messages.send({ roomId: room.id, message: "Bonjour Bob" });
await ana.realtime.connect();
const stored = await ana.realtime.sendMessage({ roomId: room.id, message: "Ça va ?" });
console.log(stored.id, stored.state); // the stored message

// History, oldest first.
const latest = await bob.messages.list({ roomId: room.id, limit: 50 });
console.log(latest.map((m) => m.message));

try {
  await ana.messages.send({ roomId: room.id, message: "" });
} catch (error) {
  if (error instanceof ChatError) console.log(error.code, error.status, error.issues); // BAD_REQUEST 400 [{ path: "message", ... }]
}

// Leave once Bob has heard both messages and his read receipts are stored.
await heard;
await Promise.all(receipts);
ana.realtime.disconnect();
bob.realtime.disconnect();
