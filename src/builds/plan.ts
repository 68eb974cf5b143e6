// The plan phase: one model call turns the build's request into a short task list (structured output, checked
// against PlanOutput), and the implement phase's prompts are written from it.
import { generateText, Output } from "ai";
import type { EngineResources } from "../engine/resources.ts";
import { meteredWorkspaceModel } from "../models/workspace-model.ts";
import { PlanOutput } from "./schemas.ts";

/** What the planner is told about the project. */
export interface PlanContext {
  buildId: string;
  workspaceId: string;
  projectId: string;
  model: string;
  prompt: string;
  template: string | null;
}

/** The planner's instructions: a few concrete tasks, each one an agent can finish by editing files. */
export function planPrompt(ctx: Pick<PlanContext, "prompt" | "template">): string {
  return [
    "You plan changes to a small web project for a coding agent that edits its files.",
    ctx.template ? `The project was created from Shipyard's "${ctx.template}" template.` : "The project is an existing repository.",
    "Split the request below into 1 to 5 tasks, in the order they should be done. Each task has a short imperative title",
    "and a description that says which files to create or change and what they must contain. Do not write code.",
    "",
    "Request:",
    ctx.prompt,
  ].join("\n");
}

/** Call the build's model once for the plan; throws (the build fails with the message) on a missing key, a cassette miss, a budget or an answer that does not fit the schema. */
export async function planBuild(res: EngineResources, ctx: PlanContext): Promise<PlanOutput> {
  const model = meteredWorkspaceModel(res, { workspaceId: ctx.workspaceId, operationId: ctx.buildId, projectId: ctx.projectId, model: ctx.model });
  const result = await generateText({ model, prompt: planPrompt(ctx), output: Output.object({ schema: PlanOutput }) });
  return PlanOutput.parse(result.output);
}

/** The coding agent's prompt for task `index` (0-based) of the plan. */
export function taskPrompt(request: string, tasks: PlanOutput["tasks"], index: number): string {
  const task = tasks[index]!;
  return [
    "You are working in a web project (the current directory). Make the change below by editing the project's files with your tools;",
    "do not paste code into your reply. Keep the project building. When you are done, reply with one line saying what you changed.",
    "",
    `The whole request: ${request}`,
    "The plan:",
    ...tasks.map((t, i) => `${i + 1}. ${t.title}${i === index ? "   <- this task" : ""}`),
    "",
    `Task ${index + 1} of ${tasks.length}: ${task.title}`,
    task.description,
  ].join("\n");
}

/** The coding agent's prompt after a failed test phase: the problems, to fix. */
export function fixPrompt(request: string, problems: string): string {
  return [
    "You are working in a web project (the current directory). Its test phase failed; fix the project's files so it builds, its checks pass",
    "and the built page loads in a browser without errors. Edit the files with your tools; do not paste code into your reply.",
    "When you are done, reply with one line saying what you fixed.",
    "",
    `The request the project was built for: ${request}`,
    "What failed:",
    problems,
  ].join("\n");
}
