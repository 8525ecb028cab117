import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startServer, type TestServer } from "@causette/server/test-harness";

/** The built web client served by the real server, driven in Debian's Chromium by two people. */
const run = promisify(execFile);
const WEB_ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCREENSHOTS = join(WEB_ROOT, "test-output");
const CHROMIUM = "/usr/bin/chromium";
const MAX_JS_GZIP_BYTES = 250 * 1024;
const WAIT = { timeout: 15_000 };

let outDir: string;
let server: TestServer;

beforeAll(async () => {
  // Built once, here, from the sources under test (a stale apps/web/dist proves nothing).
  outDir = await mkdtemp(join(tmpdir(), "causette-web-"));
  // Vite's own command, in a process of its own: the tests' NODE_ENV=test would give React's development build.
  await run(
    process.execPath,
    [
      join(WEB_ROOT, "node_modules/vite/bin/vite.js"),
      "build",
      "--outDir",
      outDir,
      "--emptyOutDir",
      "--logLevel",
      "error",
    ],
    { cwd: WEB_ROOT, env: { NODE_ENV: "production" } },
  );
  server = await startServer({ config: { webDir: outDir } });
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe("the server serves the built app", () => {
  it("at / and at any page path, without shadowing the API", async () => {
    const home = await fetch(`${server.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('<div id="root">');
    const csp = home.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");

    const deep = await fetch(`${server.url}/rooms/12`, { headers: { accept: "text/html" } });
    expect(await deep.text()).toContain('<div id="root">');

    for (const path of ["/api/nothing-here", "/trpc/nothing.here", "/api/docs/nothing"]) {
      const answer = await fetch(`${server.url}${path}`, { headers: { accept: "text/html" } });
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get("content-type"), path).toContain("application/json");
    }
    expect((await fetch(`${server.url}/api/docs`)).headers.get("content-type")).toContain("text/html");
    expect(await (await fetch(`${server.url}/api/openapi.json`)).json()).toHaveProperty("openapi");
  });

  it("with less than 250 KB of JavaScript (gzip)", async () => {
    const assets = join(outDir, "assets");
    let gzip = 0;
    for (const name of (await readdir(assets)).filter((n) => n.endsWith(".js"))) {
      gzip += gzipSync(await readFile(join(assets, name))).length;
    }
    console.log(`web client: ${(gzip / 1024).toFixed(1)} KB of JavaScript (gzip)`);
    expect(gzip).toBeGreaterThan(0);
    expect(gzip).toBeLessThan(MAX_JS_GZIP_BYTES);
  });
});

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`skipping the web client's Chromium test: no ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!hasChromium)("in Chromium", () => {
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
    await mkdir(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function openPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 960, height: 600 } });
    const page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(`${server.url}/`);
    return page;
  }

  async function signUp(page: Page, username: string) {
    await page.getByLabel("Email", { exact: true }).fill(`${username}@example.com`);
    await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
    await page.getByLabel("Username", { exact: true }).fill(username);
    await page.getByRole("button", { name: "Sign up" }).click();
    await page.getByRole("button", { name: "Log out" }).waitFor(WAIT);
  }

  async function send(page: Page, text: string) {
    await page.getByLabel("Message", { exact: true }).fill(text);
    await page.getByRole("button", { name: "Send" }).click();
  }

  const bubble = (page: Page, text: string) =>
    page.getByRole("log", { name: "Messages" }).locator("li", { hasText: text });
  const tick = (page: Page, text: string, state: string) =>
    bubble(page, text).locator(`[data-state="${state}"]`).waitFor(WAIT);

  it("two people sign up, chat in a direct room, see receipts reach lu, and keep their session on reload", async () => {
    const ana = await openPage();
    const bob = await openPage();
    await ana.getByRole("button", { name: "Log in" }).waitFor(WAIT);
    await ana.screenshot({ path: join(SCREENSHOTS, "login.png") });
    await signUp(ana, "ana");
    await signUp(bob, "bob");

    // Ana opens the direct room with Bob; it reaches Bob's list live.
    await ana.getByLabel("Chat with", { exact: true }).fill("bob");
    await ana.getByRole("button", { name: "Open" }).click();
    await ana.getByRole("heading", { name: "bob" }).waitFor(WAIT);
    const bobsRoom = bob.getByRole("list", { name: "Rooms" }).getByRole("button", { name: /ana/ });
    await bobsRoom.waitFor(WAIT);

    // Shown at once, then delivered to Bob's page (recu) while his room is closed: an unread badge.
    await send(ana, "Bonjour Bob");
    await bubble(ana, "Bonjour Bob").waitFor(WAIT);
    await tick(ana, "Bonjour Bob", "recu");
    await bobsRoom.getByLabel("1 unread").waitFor(WAIT);
    await bob.screenshot({ path: join(SCREENSHOTS, "rooms.png") });

    // Bob opens it: read (lu) on Ana's side, and the badge is gone.
    await bobsRoom.click();
    await bubble(bob, "Bonjour Bob").waitFor(WAIT);
    await tick(ana, "Bonjour Bob", "lu");
    expect(await bobsRoom.getByLabel(/unread/).count()).toBe(0);

    // Bob answers; Ana has the room open, so it is read at once.
    await send(bob, "Salut Ana, ça va ?");
    await bubble(ana, "Salut Ana, ça va ?").waitFor(WAIT);
    await tick(bob, "Salut Ana, ça va ?", "lu");
    await send(ana, "Très bien !");
    await tick(ana, "Très bien !", "lu");
    await ana.screenshot({ path: join(SCREENSHOTS, "conversation.png") });

    // A reload keeps the session: the room list comes back without logging in.
    await ana.reload();
    const anasRoom = ana.getByRole("list", { name: "Rooms" }).getByRole("button", { name: /bob/ });
    await anasRoom.waitFor(WAIT);
    await anasRoom.click();
    for (const text of ["Bonjour Bob", "Salut Ana, ça va ?", "Très bien !"]) await bubble(ana, text).waitFor(WAIT);
    expect(await ana.getByRole("log", { name: "Messages" }).locator("li:not(.end)").count()).toBe(3);
    expect(await ana.getByLabel("Email", { exact: true }).count()).toBe(0);

    expect(errors).toEqual([]);
  }, 120_000);
});
