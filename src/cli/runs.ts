import { promises as fs } from "node:fs";
import type { Command } from "commander";
import type { RunView } from "../runs/service.ts";
import { ApiClient, CliError, type ApiEvent } from "./client.ts";
import { kindOfId } from "../domain/operation-kinds.ts";
import { EXIT } from "./exit-codes.ts";
import { client, out, printJson } from "./io.ts";
import { RunProgress } from "./progress.ts";
import { bold, dim, red, renderEvent, statusWord, table } from "./render.ts";
import { registerShowCommand } from "./show.ts";
import { instantFromFlag } from "./time-range.ts";

/** `--input k=v` pairs into an object (values stay strings; the server coerces them to the declared types). */
function parseInputs(pairs: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new CliError(`--input expects key=value, got "${pair}"`);
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

async function readWorkflowFile(file: string): Promise<string> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The progress of a run (step n of m, time elapsed) for its step lines. */
const progressOf = (run: RunView): RunProgress => new RunProgress(run.steps.map((st) => st.id), run.createdAt);

/** Follow an operation (a run, a build) to its end, printing progress; resolves to the final status. */
export async function followOperation(api: ApiClient, id: string, json: boolean, what = "run", progress?: RunProgress): Promise<string> {
  let status = "unknown";
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  await api.follow(
    id,
    0,
    (e: ApiEvent) => {
      if (json) out(JSON.stringify(e));
      else {
        const line = renderEvent(e);
        if (line) out(line + (progress?.suffix(e) ?? ""));
      }
      if (e.type === "complete") status = e.payload.status;
    },
    controller.signal,
  );
  process.removeListener("SIGINT", onSigint);
  if (controller.signal.aborted) {
    process.stderr.write(dim(`stopped following; the ${what} goes on. Cancel it with: shipyard cancel ${id}\n`));
    return "detached";
  }
  return status;
}

/** Exit code after following a run: 0 succeeded, 130 stopped following (Ctrl-C; the run goes on), 1 otherwise. */
export const followExitCode = (status: string): number => (status === "succeeded" ? EXIT.ok : status === "detached" ? EXIT.detached : EXIT.failed);

interface Problem {
  code?: string;
  errors?: unknown;
}

/**
 * The CLI's words for a refused POST /runs: an invalid workflow as file:line:column lines (exit 1, as `validate`),
 * an input problem with the flag that fixes it. Null for any other refusal.
 */
function runRefusal(problem: Problem | undefined): CliError | null {
  if (problem?.code === "invalid_workflow" && Array.isArray(problem.errors)) {
    const issues = problem.errors as { file: string; line: number; column: number; message: string }[];
    return new CliError(issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.message}`).join("\n"), EXIT.failed);
  }
  if (problem?.code === "invalid_inputs" && Array.isArray(problem.errors)) {
    const issues = problem.errors as { input: string; message: string }[];
    const lines = issues.map((i) => `  - ${i.input}: ${i.message.replace(/pass it as (\S+)=/, "pass it with --input $1=")}`);
    return new CliError(`invalid inputs:\n${lines.join("\n")}`, EXIT.notDone);
  }
  return null;
}

/** Register the run commands: run, runs, show, logs, cancel, rerun, validate. */
export function registerRunCommands(program: Command): void {
  program
    .command("run")
    .description("start a run of a workflow file and follow it live, step n of m (exit 0 when it succeeds, 1 when it fails or the file is invalid)")
    .argument("<file>", "workflow YAML file")
    .option("-i, --input <key=value>", "an input value (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("-d, --detach", "print the run id and return at once")
    .option("--json", "print the run and its events as JSON")
    .action(async (file: string, o: { input: string[]; detach?: boolean; json?: boolean }) => {
      const source = await readWorkflowFile(file);
      const api = await client();
      let run: RunView;
      try {
        run = await api.request<RunView>("POST", "/runs", { workflow: source, inputs: parseInputs(o.input), file });
      } catch (err) {
        throw runRefusal((err as { problem?: Problem }).problem) ?? err;
      }
      if (o.detach) return o.json ? printJson(run) : out(run.id);
      if (!o.json) out(`${bold("▶")} run ${bold(run.id)} (${run.workflow})  ${dim(`follow: shipyard logs -f ${run.id}`)}`);
      const status = await followOperation(api, run.id, o.json ?? false, "run", progressOf(run));
      process.exitCode = followExitCode(status);
    });

  program
    .command("runs")
    .description("list runs, newest first")
    .option("-s, --status <status>", "only runs with these statuses (comma-separated: running,pending)")
    .option("-w, --workflow <name>", "only runs of this workflow; `name*`: of workflows whose name starts so")
    .option("--since <when>", "only runs created since: ISO 8601 time or date, or a span back from now (30m, 1h, 7d)")
    .option("--until <when>", "only runs created before (as --since)")
    .option("-n, --limit <n>", "how many", "20")
    .option("--before <id>", "only runs older than this run id (the next page)")
    .option("--json", "print JSON")
    .action(async (o: { status?: string; workflow?: string; since?: string; until?: string; limit: string; before?: string; json?: boolean }) => {
      const api = await client();
      const q = new URLSearchParams({ limit: o.limit });
      for (const [k, v] of Object.entries({ status: o.status, workflow: o.workflow, before: o.before })) if (v) q.set(k, v);
      if (o.since) q.set("since", instantFromFlag("--since", o.since));
      if (o.until) q.set("until", instantFromFlag("--until", o.until));
      const { runs, nextCursor } = await api.request<{ runs: RunView[]; nextCursor: string | null }>("GET", `/runs?${q}`);
      if (o.json) return printJson(runs);
      const filtered = o.status || o.workflow || o.since || o.until || o.before;
      if (runs.length === 0) return out(dim(filtered ? "no runs match" : "no runs yet: start one with `shipyard run FILE`"));
      out(table([["ID", "WORKFLOW", "STATUS", "CREATED"].map(dim), ...runs.map((r) => [r.id, r.workflow, statusWord(r.status), r.createdAt])]));
      if (nextCursor) process.stderr.write(dim(`more: --before ${nextCursor}\n`));
    });

  registerShowCommand(program);

  program
    .command("logs")
    .description("print an operation's events (a run's step by step, with step n of m and the time elapsed); -f follows until it ends")
    .argument("<id>", "run, job, build or publish id")
    .option("-f, --follow", "keep following live")
    .option("--since <seq>", "only events after this sequence number", "0")
    .option("--json", "print events as JSON lines")
    .action(async (id: string, o: { follow?: boolean; since: string; json?: boolean }) => {
      const api = await client();
      const progress = !o.json && kindOfId(id) === "workflow" ? progressOf(await api.request<RunView>("GET", `/runs/${encodeURIComponent(id)}`)) : undefined;
      const print = (e: ApiEvent) => {
        const line = o.json ? JSON.stringify(e) : renderEvent(e);
        if (line) out(line + (progress?.suffix(e) ?? ""));
      };
      if (o.follow) {
        await api.follow(id, Number(o.since) || 0, print);
        return;
      }
      const { events } = await api.request<{ events: ApiEvent[] }>(
        "GET",
        `/operations/${encodeURIComponent(id)}/events?since=${Number(o.since) || 0}&limit=5000`,
      );
      events.forEach(print);
    });

  program
    .command("cancel")
    .description("cancel a run (its running steps are killed, teardown runs), a job or a build")
    .argument("<id>", "run, job or build id")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => {
      const run = await (await client()).request<{ id: string }>("POST", `/operations/${encodeURIComponent(id)}/cancel`);
      if (o.json) printJson(run);
      else out(`cancelling ${run.id}`);
    });

  program
    .command("rerun")
    .description("start a new run with the same workflow and inputs")
    .argument("<id>", "run id")
    .option("-f, --follow", "follow the new run")
    .option("--json", "print JSON")
    .action(async (id: string, o: { follow?: boolean; json?: boolean }) => {
      const api = await client();
      const run = await api.request<RunView>("POST", `/runs/${encodeURIComponent(id)}/rerun`);
      if (!o.follow) return o.json ? printJson(run) : out(run.id);
      out(`${bold("▶")} run ${bold(run.id)} (${run.workflow}), re-run of ${id}`);
      const status = await followOperation(api, run.id, o.json ?? false, "run", progressOf(run));
      process.exitCode = followExitCode(status);
    });

  program
    .command("validate")
    .description("check a workflow file (no server needed); problems are printed as file:line:column (exit 1 when invalid)")
    .argument("<file>", "workflow YAML file")
    .option("--json", "print JSON")
    .action(async (file: string, o: { json?: boolean }) => {
      const { parseWorkflow, formatIssue } = await import("../workflows/index.ts");
      const result = parseWorkflow(await readWorkflowFile(file), file);
      if (o.json) printJson(result.ok ? { valid: true, errors: [], workflow: result.workflow } : { valid: false, errors: result.errors });
      else if (result.ok) out(`${file}: ok (${result.workflow.steps.length} steps, ${result.workflow.teardown.length} teardown)`);
      else result.errors.forEach((e) => process.stderr.write(red(formatIssue(e)) + "\n"));
      if (!result.ok) process.exitCode = EXIT.failed;
    });
}
