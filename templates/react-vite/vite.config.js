import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// node_modules may be a read-only link to Shipyard's own packages: Vite's cache lives in the project instead.
export default defineConfig({
  plugins: [react()],
  cacheDir: ".vite-cache",
});
