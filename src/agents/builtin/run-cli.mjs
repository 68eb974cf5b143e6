#!/usr/bin/env node
// Runs on the runner in the job's workspace: the built-in agent on $SHIPYARD_PROMPT_FILE. Loads the TypeScript
// entry through tsx (a dependency of this repository), like ../claude-code/map-cli.mjs does.
import { register } from "tsx/esm/api";

register();
const { runBuiltinCli } = await import("./run-cli.ts");
process.exitCode = await runBuiltinCli();
