// The built-in coding agent, as a library: a tool loop over any AI SDK model in a confined workspace.
export { runBuiltinAgent, DEFAULT_SYSTEM, type AgentEvent, type AgentUsage, type BuiltinAgentOptions, type BuiltinAgentResult } from "./agent.ts";
export { toolDefinitions, executeTool, readFile, writeFile, editFile, listFiles, search, runCommand, LIMITS, type ToolContext, type ToolName, type CommandResult } from "./tools.ts";
export { confine, ToolError } from "./workspace.ts";
