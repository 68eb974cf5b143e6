#!/usr/bin/env node
// Runs on the runner: `claude -p --output-format stream-json --verbose | node map-cli.mjs`. Loads the
// TypeScript mapper through tsx (a dependency of this repository), like bin/shipyard.js does.
import { register } from "tsx/esm/api";

register();
const { runClaudeMapper } = await import("./mapper.ts");
process.exitCode = await runClaudeMapper();
