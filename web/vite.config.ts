// The web UI's build: `npm run build:web` writes web/dist, which the server serves at `/`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  plugins: [react()],
  build: { outDir: path.join(here, "dist"), emptyOutDir: true, chunkSizeWarningLimit: 800 },
  // `npx vite web` during development: the API of a running `shipyard up`.
  server: { proxy: { "/api": { target: "http://127.0.0.1:7420", ws: true } } },
});
