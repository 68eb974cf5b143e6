// `npm run build:cli`: the CLI bundled with esbuild into dist/cli (run on install by `prepare`). esbuild rather
// than tsc: it builds in a fraction of a second, bundles the client commands into a few files (fewer to resolve
// and read at start-up) while keeping each lazily imported command in a chunk of its own, and its metafile lists
// exactly the sources a build came from, which bin/shipyard.js compares with them so it never runs an old build.
// The server is not bundled (src/cli/source.ts loads it from the sources).
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "dist", "cli");

// Taken before reading any source: one saved while the build runs counts as newer than the build.
const builtAt = Date.now();
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "[name]-[hash]",
  metafile: true,
  logLevel: "warning",
});
const inputs = Object.keys(result.metafile.inputs).sort();
writeFileSync(path.join(outdir, "build.json"), JSON.stringify({ builtAt, inputs }, null, 2) + "\n");
console.log(`built dist/cli from ${inputs.length} sources`);
