// A small chat page, bundled by the browser test: it logs in with the SDK, joins one room, shows
// every message live and sends what is typed.
import { ChatError, createChatClient, type Message } from "../../src/index.ts";

const params = new URLSearchParams(location.search);
const roomId = Number(params.get("room"));
const chat = createChatClient({ url: params.get("server")! });

const status = document.querySelector<HTMLElement>("#status")!;
const list = document.querySelector<HTMLUListElement>("#messages")!;
const form = document.querySelector<HTMLFormElement>("#composer")!;
const input = document.querySelector<HTMLInputElement>("#text")!;

function show(message: Message) {
  const item = document.createElement("li");
  item.dataset.id = String(message.id);
  item.dataset.sender = String(message.sender);
  item.textContent = message.message;
  list.append(item);
}

async function start() {
  const { user } = await chat.auth.login({ email: params.get("email")!, password: params.get("password")! });
  chat.realtime.on("receive_message", show);
  await chat.realtime.connect();
  await chat.realtime.joinRoom(roomId);
  for (const message of await chat.messages.list({ roomId })) show(message);
  status.textContent = `ready as ${user.username}`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value;
  input.value = "";
  chat.realtime.sendMessage({ roomId, message: text }).then(show, (error: unknown) => {
    status.textContent = error instanceof ChatError ? `error ${error.code}` : "error";
  });
});

start().catch((error: unknown) => {
  status.textContent = error instanceof ChatError ? `error ${error.code}: ${error.message}` : `error ${String(error)}`;
});
