// The README's five-minute example: `pnpm --filter @causette/sdk exec tsx --conditions=@causette/source examples/quickstart.ts` with a server on :5050.
// In your own app: import { ChatError, createChatClient } from "@causette/sdk";
import { ChatError, createChatClient } from "../src/index.ts";

const ana = createChatClient({ url: "http://localhost:5050" });
const bob = createChatClient({ url: "http://localhost:5050" });

await ana.auth.register({ username: "ana", email: "ana@example.com", password: "correct horse" });
await bob.auth.register({ username: "bob", email: "bob@example.com", password: "correct horse" });
await ana.auth.login({ email: "ana@example.com", password: "correct horse" }); // keeps the token
const { user: bobUser } = await bob.auth.login({ email: "bob@example.com", password: "correct horse" });

// One private room per pair: creating it again gives back the same one.
const room = await ana.rooms.create({ participant: bobUser.id });

// Bob listens.
await bob.realtime.connect();
bob.realtime.on("receive_message", (message) => {
  console.log(`${message.sender}: ${message.message}`); // message: Message, typed from the contracts
  bob.realtime.setState({ roomId: message.roomId, messageId: message.id, state: "lu" }).catch(console.error);
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

ana.realtime.disconnect();
bob.realtime.disconnect();
