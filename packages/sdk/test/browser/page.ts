// A small chat page, bundled by the browser test: it logs in with the SDK, joins one room, shows
// every message live (with its attachments' names), sends what is typed, and sends a chosen file
// as an attachment, showing the upload's progress.
import { ChatError, createChatClient, type Message } from "../../src/index.ts";

const params = new URLSearchParams(location.search);
const roomId = Number(params.get("room"));
const chat = createChatClient({ url: params.get("server")! });

const status = document.querySelector<HTMLElement>("#status")!;
const list = document.querySelector<HTMLUListElement>("#messages")!;
const form = document.querySelector<HTMLFormElement>("#composer")!;
const input = document.querySelector<HTMLInputElement>("#text")!;
const picker = document.querySelector<HTMLInputElement>("#file")!;
const progress = document.querySelector<HTMLProgressElement>("#progress")!;

function show(message: Message) {
  const item = document.createElement("li");
  item.dataset.id = String(message.id);
  item.dataset.sender = String(message.sender);
  item.dataset.attachments = message.attachments.map((file) => file.name).join(",");
  item.textContent = message.message;
  list.append(item);
}

function showError(error: unknown) {
  status.textContent = error instanceof ChatError ? `error ${error.code}: ${error.message}` : `error ${String(error)}`;
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
  chat.realtime.sendMessage({ roomId, message: text }).then(show, showError);
});

/** Every progress report of the last upload, as `loaded/total`, for the test to read. */
const reports: string[] = [];
picker.addEventListener("change", () => {
  const file = picker.files?.[0];
  if (!file) return;
  reports.length = 0;
  chat.files
    .upload(file, file.name, {
      onProgress: ({ loaded, total }) => {
        reports.push(`${loaded}/${total}`);
        progress.max = total ?? 0;
        progress.value = loaded;
        progress.dataset.reports = reports.join(" ");
      },
    })
    .then((uploaded) =>
      chat.realtime.sendMessage({ roomId, message: `sent ${uploaded.name}`, attachments: [uploaded.id] }),
    )
    .then(show, showError);
});

start().catch(showError);
