/**
 * A terminal chat between two people, through the SDK. Run it in two terminals:
 *
 *   pnpm --filter @causette/sdk chat --me ana --with bob
 *   pnpm --filter @causette/sdk chat --me bob --with ana
 *
 * Options: --url (default http://localhost:5050), --password (default "correct horse battery", the
 * README's). Each user is signed up on first use (as <name>@example.com), then logged in. Type a line and
 * press Enter to send it; /quit leaves.
 */
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

// In your own app: import { ChatError, createChatClient, type Message } from "@causette/sdk";
import { ChatError, createChatClient, type Message, type User } from "../src/index.ts";
import { signIn } from "./sign-in.ts";

const { values } = parseArgs({
  options: {
    me: { type: "string" },
    with: { type: "string" },
    url: { type: "string", default: "http://localhost:5050" },
    password: { type: "string", default: "correct horse battery" },
  },
});
if (!values.me || !values.with) {
  console.error("usage: chat-cli --me <your name> --with <their name> [--url http://localhost:5050] [--password ...]");
  process.exit(2);
}
const me = values.me;
const them = values.with;
const email = `${me}@example.com`;

const chat = createChatClient({ url: values.url });
const terminal = createInterface({ input: process.stdin, output: process.stdout });
let prompting = false;
const say = (line: string) => {
  // Print above the prompt without losing what is being typed.
  process.stdout.write(`\r\x1b[K${line}\n`);
  if (prompting) terminal.prompt(true);
};

async function findPartner(): Promise<User> {
  for (let waited = false; ; waited = true) {
    const found = (await chat.users.list({ search: them })).find(
      (u) => u.username.toLowerCase() === them.toLowerCase(),
    );
    if (found) return found;
    if (!waited) console.log(`waiting for ${them} to sign up...`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

async function main() {
  const self = await signIn(chat, { username: me, email, password: values.password });
  const partner = await findPartner();
  const room = await chat.rooms.create({ participant: partner.id });
  const name = (id: number) => (id === self.id ? self.username : partner.username);
  const line = (m: Message) => `[${new Date(m.createdAt).toLocaleTimeString()}] ${name(m.sender)}: ${m.message}`;

  chat.realtime.on("receive_message", (m) => {
    if (m.roomId !== room.id) return;
    say(line(m));
    // Tell the sender it was read (and everything before it).
    if (m.sender !== self.id)
      void chat.realtime.setState({ roomId: room.id, messageId: m.id, state: "lu" }).catch(() => undefined);
  });
  chat.realtime.on("message_state_update", (u) => {
    if (u.roomId === room.id && u.state === "lu" && u.userId !== self.id)
      say(`  (${partner.username} has read up to here)`);
  });
  chat.realtime.on("typing", (t) => {
    if (t.roomId === room.id && t.isTyping) say(`  (${partner.username} is typing...)`);
  });
  chat.realtime.on("presence", (p) => {
    if (p.userId === partner.id) say(`  (${partner.username} is ${p.online ? "online" : "offline"})`);
  });
  chat.realtime.on("disconnect", () => say("  (connection lost, reconnecting...)"));
  chat.realtime.on("synced", ({ missed }) =>
    say(`  (back online${missed ? `, ${missed} missed event(s) caught up` : ""})`),
  );

  await chat.realtime.connect();
  await chat.realtime.joinRoom(room.id);
  console.log(`You are ${self.username}, chatting with ${partner.username} in room ${room.id}. /quit to leave.`);
  for (const m of await chat.messages.list({ roomId: room.id, limit: 20 })) console.log(line(m));

  terminal.setPrompt("> ");
  prompting = true;
  terminal.prompt();
  for await (const input of terminal) {
    const text = input.trim();
    if (text === "/quit") break;
    if (text) {
      try {
        await chat.realtime.sendMessage({ roomId: room.id, message: text });
        // Our own socket's sends are answered by the ack, not echoed: show the line as sent.
        process.stdout.write(`\x1b[1A\r\x1b[K${me}: ${text}\n`);
      } catch (error) {
        say(
          error instanceof ChatError
            ? `  (not sent: ${error.code} ${error.message})`
            : `  (not sent: ${String(error)})`,
        );
      }
    }
    terminal.prompt();
  }
  chat.realtime.disconnect();
  terminal.close();
}

main().catch((error: unknown) => {
  console.error(error instanceof ChatError ? `${error.code} (${error.status}): ${error.message}` : error);
  process.exit(1);
});
