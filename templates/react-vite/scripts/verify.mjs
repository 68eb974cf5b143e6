// Checks the app renders: builds src/App.jsx for the server (the same Vite and React plugin as the real build)
// and renders it to HTML with react-dom/server, then checks what the page must show.
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "vite";
import react from "@vitejs/plugin-react";
import { createElement } from "react";
import { renderToString } from "react-dom/server";

const outDir = ".verify";
rmSync(outDir, { recursive: true, force: true });
await build({
  configFile: false,
  logLevel: "warn",
  plugins: [react()],
  cacheDir: ".vite-cache",
  build: { ssr: "src/App.jsx", outDir, emptyOutDir: true },
});
const { default: App } = await import(pathToFileURL(path.resolve(outDir, "App.js")).href);
const html = renderToString(createElement(App));
const failures = [];
if (!html.includes("<h1>")) failures.push("the page has no <h1> heading");
if (!html.includes("<button")) failures.push("the page has no button");
const entry = /<script[^>]+src="\/([^"]+)"/.exec(readFileSync("index.html", "utf8"));
if (!entry) failures.push("index.html loads no module script");
else {
  try {
    readFileSync(entry[1]);
  } catch {
    failures.push(`index.html loads /${entry[1]}, which does not exist`);
  }
}
rmSync(outDir, { recursive: true, force: true });
if (failures.length > 0) {
  for (const f of failures) console.error(`verify: ${f}`);
  process.exit(1);
}
console.log(`verify: App renders (${html.length} characters of HTML)`);
