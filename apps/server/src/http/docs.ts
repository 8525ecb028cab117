import express, { type Express } from "express";
import swaggerUi from "swagger-ui-dist";

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Causette API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#docs", withCredentials: true });`;

/** The OpenAPI document and a page to try it, served from the swagger-ui-dist package (no CDN). */
export function mountDocs(app: Express, document: Record<string, unknown>): void {
  app.get("/api/openapi.json", (_req, res) => {
    res.json(document);
  });
  app.use("/api/docs/assets", express.static(swaggerUi.getAbsoluteFSPath(), { index: false, maxAge: "1d" }));
  app.get("/api/docs/init.js", (_req, res) => {
    res.type("application/javascript").send(INIT);
  });
  app.get(["/api/docs", "/api/docs/"], (_req, res) => {
    res.type("html").send(PAGE);
  });
}
