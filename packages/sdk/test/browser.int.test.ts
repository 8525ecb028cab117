import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { TestServer } from "@causette/server/test-harness";

import { twoInARoom, type SdkUser } from "./helpers.ts";

/** The SDK bundled for a browser by esbuild, in Debian's Chromium: two users chat live and send files. */
const PAGE_DIR = fileURLToPath(new URL("./browser/", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";

let server: TestServer;
let site: Server;
let siteUrl: string;
let browser: Browser;
let ana: SdkUser;
let bob: SdkUser;
let roomId: number;

beforeAll(async () => {
  let room: { id: number };
  ({ server, ana, bob, room } = await twoInARoom());
  roomId = room.id;

  const bundle = await build({
    entryPoints: [`${PAGE_DIR}page.ts`],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const app = bundle.outputFiles[0]!.text;
  const html = await readFile(`${PAGE_DIR}index.html`, "utf8");
  site = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path === "/app.js") res.writeHead(200, { "content-type": "text/javascript" }).end(app);
    else if (path === "/") res.writeHead(200, { "content-type": "text/html" }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await server?.close();
});

async function open(user: SdkUser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const query = new URLSearchParams({
    server: server.url,
    room: String(roomId),
    email: user.email,
    password: user.password,
  });
  await page.goto(`${siteUrl}?${query}`);
  await page.locator("#status", { hasText: `ready as ${user.user.username}` }).waitFor({ timeout: 15_000 });
  return { page, errors };
}

describe("in Chromium", () => {
  it("two users log in on two pages; one sends, the other's page shows it live", async () => {
    const anaPage = await open(ana);
    const bobPage = await open(bob);

    await anaPage.page.fill("#text", "bonjour from Chromium");
    await anaPage.page.click("#send");

    const onBob = bobPage.page.locator("#messages li", { hasText: "bonjour from Chromium" });
    await onBob.waitFor({ timeout: 10_000 });
    expect(await onBob.getAttribute("data-sender")).toBe(String(ana.user.id));
    await anaPage.page.locator("#messages li", { hasText: "bonjour from Chromium" }).waitFor({ timeout: 10_000 });
    expect(await bobPage.page.locator("#messages li").count()).toBe(1);

    // And back, over the same page.
    await bobPage.page.fill("#text", "salut");
    await bobPage.page.click("#send");
    await anaPage.page.locator("#messages li", { hasText: "salut" }).waitFor({ timeout: 10_000 });

    const stored = await ana.chat.messages.list({ roomId });
    expect(stored.map((m) => m.message)).toEqual(["bonjour from Chromium", "salut"]);
    expect([...anaPage.errors, ...bobPage.errors]).toEqual([]);
  }, 60_000);

  it("uploads a chosen file with progress, sends it as an attachment, and the other page shows it live", async () => {
    const anaPage = await open(ana);
    const bobPage = await open(bob);
    const bytes = Buffer.alloc(6 * 1024 * 1024, "causette ");

    await anaPage.page.setInputFiles("#file", { name: "notes.txt", mimeType: "text/plain", buffer: bytes });

    const onBob = bobPage.page.locator("#messages li", { hasText: "sent notes.txt" });
    await onBob.waitFor({ timeout: 20_000 });
    expect(await onBob.getAttribute("data-attachments")).toBe("notes.txt");
    // XMLHttpRequest's upload events: the last reports every byte of the file, out of its size.
    const reports = (await anaPage.page.locator("#progress").getAttribute("data-reports"))!.split(" ");
    expect(reports.at(-1)).toBe(`${bytes.length}/${bytes.length}`);
    for (const report of reports) expect(report).toMatch(new RegExp(`^\\d+/${bytes.length}$`));

    const [sent] = (await bob.chat.messages.list({ roomId })).filter((m) => m.message === "sent notes.txt");
    expect(sent!.attachments).toEqual([
      { id: expect.any(Number), name: "notes.txt", size: bytes.length, contentType: "text/plain" },
    ]);
    const downloaded = Buffer.from(await (await bob.chat.files.download(sent!.attachments[0]!.id)).arrayBuffer());
    expect(downloaded.equals(bytes)).toBe(true);
    expect([...anaPage.errors, ...bobPage.errors]).toEqual([]);
  }, 60_000);
});
