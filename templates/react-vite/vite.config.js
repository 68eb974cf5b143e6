import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the built site works wherever it is served from (a preview's version path included).
  base: "./",
  // node_modules may be a read-only link to Shipyard's own packages: Vite's cache lives in the project instead.
  cacheDir: ".vite-cache",
});
