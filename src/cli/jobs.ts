import { promises as fs } from "node:fs";
import type { Command } from "commander";
import type { ProjectView } from "../projects/store.ts";
import type { JobView } from "../jobs/queue.ts";
import { CliError, type ApiClient, type ApiEvent } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, red, renderEvent, statusWord, table } from "./render.ts";
import { printJob } from "./show.ts";

type Project = ProjectView;
type Job = JobView;

const collect = (v: string, acc: string[]) => [...acc, v];
const firstLine = (s: string) => (s.split("\n")[0] ?? "").slice(0, 60);

/** Accept a project id or name. */
export async function resolveProject(api: ApiClient, ref: string): Promise<Project> {
  const { projects } = await api.request<{ projects: Project[] }>("GET", "/projects");
  const found = projects.find((p) => p.id === ref || p.name === ref);
  if (!found) throw new CliError(`no project "${ref}": list them with \`shipyard projects list\``);
  return found;
}

/** Follow a job's events to its end; resolves to the final status. */
async function followJob(api: ApiClient, id: string, json: boolean): Promise<string> {
  let status = "unknown";
  await api.follow(id, 0, (e: ApiEvent) => {
    const line = json ? JSON.stringify(e) : renderEvent(e);
    if (line) out(line);
    if (e.type === "complete") status = e.payload.status;
  });
  return status;
}

/** Register `projects`, `jobs` and `queue` commands. */
export function registerJobCommands(program: Command): void {
  const projects = program.command("projects").description("git repositories that jobs work on");
  projects
    .command("add")
    .description("register a project")
    .argument("<name>", "project name")
    .requiredOption("--repo <url-or-path>", "git URL or local path of the repository")
    .option("--default-branch <branch>", "branch jobs start from and open pull requests against", "main")
    .option("--verify <command>", "a verification command (repeatable, run in order)", collect, [] as string[])
    .option("--on-verify-failure <what>", "fail | rework", "fail")
    .option("--max-attempts <n>", "attempts before a job fails when its runner keeps disappearing", "3")
    .option("--credentials-env <VAR>", "read the git token from this environment variable (kept encrypted)")
    .option("--github <owner/repo>", "open pull requests on this GitHub repository (default: derived from a github.com remote)")
    .option("--default-model <provider:model>", "the model of this project's builtin agent jobs that name none")
    .option("--no-agent-network", "the agent stage's sandbox gets no network (the git stages always have it)")
    .option("--json", "print JSON")
    .action(async (name: string, o: { repo: string; defaultBranch: string; verify: string[]; onVerifyFailure: string; maxAttempts: string; credentialsEnv?: string; github?: string; defaultModel?: string; agentNetwork: boolean; json?: boolean }) => {
      const credentials = o.credentialsEnv ? process.env[o.credentialsEnv] : undefined;
      if (o.credentialsEnv && !credentials) throw new CliError(`environment variable ${o.credentialsEnv} is empty or not set`);
      const [owner, repo] = o.github?.split("/") ?? [];
      if (o.github && (!owner || !repo)) throw new CliError(`--github expects owner/repo, got "${o.github}"`);
      const project = await (await client()).request<Project>("POST", "/projects", {
        name,
        repo: o.repo,
        defaultBranch: o.defaultBranch,
        verify: o.verify,
        onVerifyFailure: o.onVerifyFailure,
        maxAttempts: Number(o.maxAttempts),
        ...(credentials ? { credentials } : {}),
        ...(owner && repo ? { github: { owner, repo } } : {}),
        ...(o.defaultModel ? { defaultModel: o.defaultModel } : {}),
        agentNetwork: o.agentNetwork,
      });
      if (o.json) printJson(project);
      else out(`project ${bold(project.name)} (${project.id})`);
    });
  projects
    .command("list")
    .description("list projects")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const { projects: list } = await (await client()).request<{ projects: Project[] }>("GET", "/projects");
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim("no projects: add one with `shipyard projects add NAME --repo URL` or `shipyard projects new NAME --template T`"));
      out(table([["ID", "NAME", "REPO", "BRANCH", "VERIFY"].map(dim), ...list.map((p) => [p.id, p.name, p.repo, p.defaultBranch, p.verify.join(" && ")])]));
    });

  const jobs = program.command("jobs").description("coding-agent jobs");
  jobs
    .command("add")
    .description("queue a job; the agent is a command (prompt in $SHIPYARD_PROMPT_FILE), Claude Code, the built-in agent, or a patch to apply")
    .requiredOption("--project <id-or-name>", "the project")
    .option("--prompt <text>", "what to do")
    .option("--prompt-file <file>", "read the prompt from a file")
    .option("--command <cmd>", "run this command-line agent in the workspace")
    .option("--patch <file>", "apply this unified diff (for scripts and tests)")
    .option("--claude-code", "run Claude Code (`claude -p`) on the runner")
    .option("--builtin [provider:model]", "run the built-in agent on the runner with this model (default: the project's, else the workspace's default model)")
    .option("--model <model>", "with --claude-code: the model to ask for")
    .option("--max-turns <n>", "with --claude-code or --builtin: the most turns it may take")
    .option("--budget-usd <usd>", "with --claude-code or --builtin: the most the agent may spend on its model")
    .option("--queue <queue>", "backlog | rework", "backlog")
    .option("-f, --follow", "follow the job until it ends (exit 0 when it succeeds)")
    .option("--json", "print JSON")
    .action(async (o: { project: string; prompt?: string; promptFile?: string; command?: string; patch?: string; claudeCode?: boolean; builtin?: string | true; model?: string; maxTurns?: string; budgetUsd?: string; queue: string; follow?: boolean; json?: boolean }) => {
      const prompt = o.prompt ?? (o.promptFile ? await fs.readFile(o.promptFile, "utf8") : undefined);
      if (!prompt) throw new CliError("give the job a --prompt or a --prompt-file");
      if ([o.command, o.patch, o.claudeCode, o.builtin].filter(Boolean).length !== 1) {
        throw new CliError("give exactly one executor: --command CMD, --patch FILE, --claude-code or --builtin MODEL");
      }
      const limits = { ...(o.maxTurns ? { maxTurns: numberOption("--max-turns", o.maxTurns) } : {}), ...(o.budgetUsd ? { budgetUsd: numberOption("--budget-usd", o.budgetUsd) } : {}) };
      const executor = o.command
        ? { type: "command", command: o.command }
        : o.patch
          ? { type: "patch", diff: await fs.readFile(o.patch, "utf8") }
          : o.builtin
            ? { type: "builtin", ...(o.builtin === true ? {} : { model: o.builtin }), ...limits }
            : { type: "claude-code", ...(o.model ? { model: o.model } : {}), ...limits };
      const api = await client();
      const project = await resolveProject(api, o.project);
      const job = await api.request<Job>("POST", "/jobs", { projectId: project.id, prompt, queue: o.queue, executor });
      if (!o.follow) return o.json ? printJson(job) : out(`${job.id}  ${dim(`${job.queue} #${job.position}`)}`);
      out(`${bold("▶")} job ${bold(job.id)} queued in ${job.queue} at #${job.position}`);
      process.exitCode = (await followJob(api, job.id, o.json ?? false)) === "succeeded" ? 0 : 1;
    });
  jobs
    .command("list")
    .description("list jobs: running, then waiting by queue and position, then finished")
    .option("-s, --status <status>", "only jobs with this status")
    .option("--json", "print JSON")
    .action(async (o: { status?: string; json?: boolean }) => {
      const { jobs: list } = await (await client()).request<{ jobs: Job[] }>("GET", `/jobs${o.status ? `?status=${o.status}` : ""}`);
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim("no jobs: queue one with `shipyard jobs add --project P --prompt TEXT --command CMD`"));
      out(table([["ID", "STATUS", "QUEUE", "#", "STAGE", "PROMPT"].map(dim), ...list.map((j) => [j.id, statusWord(j.status), j.queue, j.position === null ? "" : String(j.position), j.stage ?? "", firstLine(j.prompt)])]));
    });
  jobs
    .command("show")
    .description("show a job: status, stage, branch, pull request, error, attempts")
    .argument("<id>", "job id")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => {
      const j = await (await client()).request<Job>("GET", `/jobs/${encodeURIComponent(id)}`);
      if (o.json) return printJson(j);
      printJob(j);
    });
  jobs
    .command("cancel")
    .description("cancel a job (a running agent is killed and its workspace cleaned)")
    .argument("<id>", "job id")
    .action(async (id: string) => {
      const j = await (await client()).request<Job>("POST", `/jobs/${encodeURIComponent(id)}/cancel`);
      out(`${j.status === "cancelled" ? "cancelled" : "cancelling"} ${j.id}`);
    });
  jobs
    .command("move")
    .description("move a waiting job to another queue and/or position (1 = next)")
    .argument("<id>", "job id")
    .option("--queue <queue>", "backlog | rework")
    .option("--position <n>", "new position in the queue")
    .action(async (id: string, o: { queue?: string; position?: string }) => {
      if (!o.queue && !o.position) throw new CliError("give --queue, --position or both");
      const j = await (await client()).request<Job>("PATCH", `/jobs/${encodeURIComponent(id)}`, {
        ...(o.queue ? { queue: o.queue } : {}),
        ...(o.position ? { position: Number(o.position) } : {}),
      });
      out(`${j.id} is now ${j.queue} #${j.position}`);
    });

  const queue = program.command("queue").description("the job queues");
  queue
    .command("show", { isDefault: true })
    .description("what each runner executes and what waits in each queue")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const view = await (await client()).request<{
        runners: { name: string; status: string; executing: Job | null }[];
        queues: { queue: string; paused: boolean; jobs: Job[] }[];
      }>("GET", "/queues");
      if (o.json) return printJson(view);
      for (const r of view.runners) out(`${bold(r.name)} ${dim(r.status)}: ${r.executing ? `${r.executing.id} ${r.executing.stage ?? ""}` : dim("idle")}`);
      for (const q of view.queues) {
        out(`${bold(q.queue)}${q.paused ? red(" (paused)") : ""}`);
        for (const j of q.jobs) out(`  #${j.position} ${j.id} ${firstLine(j.prompt)}`);
      }
    });
  for (const action of ["pause", "resume"] as const) {
    queue
      .command(action)
      .description(action === "pause" ? "stop starting jobs from a queue" : "start jobs from a queue again")
      .argument("<queue>", "backlog | rework")
      .action(async (name: string) => {
        await (await client()).request("POST", `/queues/${encodeURIComponent(name)}/${action}`);
        out(`${name} ${action === "pause" ? "paused" : "resumed"}`);
      });
  }
}

/** A numeric option's value, or a CLI error naming the option. */
function numberOption(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new CliError(`${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}
