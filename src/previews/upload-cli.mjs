#!/usr/bin/env node
// Runs in a sandboxed step: `node "$SHIPYARD_HOME/src/previews/upload-cli.mjs" <dir> <name>` uploads <dir> as the
// task's artifact <name> (a .tar.gz). Loads the TypeScript entry through tsx, like ../agents/builtin/run-cli.mjs.
import { register } from "tsx/esm/api";

register();
const { runUploadCli } = await import("./upload-cli.ts");
process.exitCode = await runUploadCli(process.argv.slice(2), process.env);
