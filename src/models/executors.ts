// The coding agents Shipyard runs, named once: `agent:` steps of the workflow language and agent jobs
// (src/jobs/schemas.ts, which adds the jobs' `patch` executor) take them from here.

/** The coding agents an `agent` step or an agent job can run. */
export const AGENT_EXECUTORS = ["builtin", "claude-code", "command"] as const;
export type AgentExecutorType = (typeof AGENT_EXECUTORS)[number];

/** Most turns an agent may be given. */
export const MAX_AGENT_TURNS = 1000;
/** Largest own budget (USD) an agent may be given. */
export const MAX_AGENT_BUDGET_USD = 100_000;
