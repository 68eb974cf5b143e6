import { fileURLToPath } from "node:url";

export { mapClaudeLine, parseResult, resultOutputs, formatCost, type MappedClaudeLine, type ClaudeEvent, type ClaudeResult, type ClaudeLineKind } from "./stream.ts";

/** The mapper the agent stage pipes Claude Code's output through (this repository's path on the runner). */
export const CLAUDE_MAPPER_PATH = fileURLToPath(new URL("./map-cli.mjs", import.meta.url));
