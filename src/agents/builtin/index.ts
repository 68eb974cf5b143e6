// The built-in coding agent, as a library: a tool loop over any AI SDK model in a confined workspace.
import { fileURLToPath } from "node:url";
export { runBuiltinAgent, DEFAULT_SYSTEM, type AgentEvent, type AgentUsage, type BuiltinAgentOptions, type BuiltinAgentResult } from "./agent.ts";
export { toolDefinitions, executeTool, readFile, writeFile, editFile, listFiles, search, runCommand, LIMITS, type ToolContext, type ToolName, type CommandResult } from "./tools.ts";
export { confine, ToolError } from "./workspace.ts";
export { formatAgentEvent } from "./run-cli.ts";

/** The runner-side entry the `builtin` job executor runs (this repository's path on the runner). */
export const BUILTIN_RUN_PATH = fileURLToPath(new URL("./run-cli.mjs", import.meta.url));
