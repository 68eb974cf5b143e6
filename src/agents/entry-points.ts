// The runner-side programs agent scripts start. Scripts name them relative to $SHIPYARD_HOME, which each runner
// sets to its own installation, so a runner on another machine runs its own copy rather than a path that only
// exists on the server.
import { fileURLToPath } from "node:url";

/** This installation's root directory. */
export const SHIPYARD_HOME = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/** The built-in agent's entry (src/agents/builtin/run-cli.ts), relative to SHIPYARD_HOME. */
export const BUILTIN_ENTRY = "src/agents/builtin/run-cli.mjs";

/** The Claude Code stream mapper (src/agents/claude-code/mapper.ts), relative to SHIPYARD_HOME. */
export const CLAUDE_MAPPER_ENTRY = "src/agents/claude-code/map-cli.mjs";
