import { join } from "node:path";
import express, { type Express } from "express";

/** Paths the server itself answers: the web app's fallback never shadows them. */
const SERVER_PATHS = /^\/(api|trpc|socket\.io|metrics)(\/|$)/;

/**
 * The web client's built files (apps/web/dist) at `/`: hashed assets cached for a year, and
 * index.html for any other GET that asks for a page, so a reload on a client route still loads the app.
 */
export function mountWebApp(app: Express, dir: string): void {
  app.use("/assets", express.static(join(dir, "assets"), { index: false, immutable: true, maxAge: "1y" }));
  app.use(express.static(dir, { index: false }));
  app.get(/.*/, (req, res, next) => {
    if (SERVER_PATHS.test(req.path) || !req.accepts("html")) return next();
    res.setHeader("cache-control", "no-cache");
    res.sendFile(join(dir, "index.html"));
  });
}
