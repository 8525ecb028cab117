import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** In development the API is the server started by `pnpm dev` (port 5050): same origin through the proxy. */
const server = "http://localhost:5050";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: {
    proxy: {
      "/trpc": server,
      "/api": server,
      "/socket.io": { target: server, ws: true },
    },
  },
});
