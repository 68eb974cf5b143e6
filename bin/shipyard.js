#!/usr/bin/env node
// Runs the compiled CLI (dist/cli, built by `npm run build` on install) when no source it was built from has
// changed since; otherwise, or with SHIPYARD_FROM_SOURCE=1, the TypeScript sources through tsx, so an edit in
// src/ is never hidden behind an old build. The check is one small file read and a stat per source.
import { readFileSync, statSync } from "node:fs";
import { URL } from "node:url";

const root = new URL("../", import.meta.url);

/** True when dist/cli exists and is at least as new as each of its sources (dist/cli/build.json lists them). */
function compiledIsCurrent() {
  if (process.env.SHIPYARD_FROM_SOURCE === "1") return false;
  try {
    const stamp = JSON.parse(readFileSync(new URL("dist/cli/build.json", root), "utf8"));
    return stamp.inputs.every((file) => statSync(new URL(file, root)).mtimeMs <= stamp.builtAt);
  } catch {
    return false; // no build, or a source it lists is gone
  }
}

if (compiledIsCurrent()) {
  await import("../dist/cli/main.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
