import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";

import { startServer, type TestServer } from "./harness.ts";

/** /api/docs in Debian's Chromium, under the server's Content-Security-Policy. */
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
});
afterAll(async () => {
  await browser?.close();
  await server.close();
});

it("renders every operation with nothing blocked by the CSP", async () => {
  const page = await browser.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on("pageerror", (error) => violations.push(error.message));
  const response = await page.goto(`${server.url}/api/docs`);
  expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
  await page.waitForSelector(".opblock", { timeout: 20_000 });
  expect(await page.locator(".opblock").count()).toBeGreaterThanOrEqual(17);
  // "Try it out" calls the API from the page: connect-src allows it.
  const health = await page.evaluate(async () => (await fetch("/api/health")).status);
  expect(health).toBe(200);
  expect(violations).toEqual([]);
});
