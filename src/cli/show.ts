// `shipyard show ID`: any operation (a run, job, build or publish) through GET /operations/{id}, in the words of
// its kind; `jobs show` and `builds show` print with the same functions.
import type { Command } from "commander";
import type { BuildView } from "../builds/schemas.ts";
import type { JobView } from "../jobs/queue.ts";
import type { RunView } from "../runs/service.ts";
import { client, out, printJson } from "./io.ts";
import { stepDuration } from "./progress.ts";
import { bold, dim, red, statusWord, table } from "./render.ts";

/** GET /operations/{id}: what every kind has, and the kind's own view in `detail`. */
interface OperationView {
  id: string;
  kind: string;
  status: string;
  title: string;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  detail: unknown;
}

const firstLine = (s: string) => (s.split("\n")[0] ?? "").slice(0, 60);

/** A run: status, each step with its duration, outputs. */
export function printRun(run: RunView): void {
  out(`${bold(run.id)}  ${run.workflow}  ${statusWord(run.status)}  ${dim(stepDuration(run.startedAt ?? run.createdAt, run.finishedAt))}`);
  if (run.error) out(red(`error: ${run.error}`));
  out(
    table([
      ["STEP", "PHASE", "STATUS", "ATTEMPT", "EXIT", "DURATION"].map(dim),
      ...(run.steps ?? []).map((s) => [s.id, s.phase, statusWord(s.status), String(s.attempt), s.exitCode === null ? "" : String(s.exitCode), stepDuration(s.startedAt, s.finishedAt)]),
    ]),
  );
  for (const [k, v] of Object.entries(run.outputs ?? {})) out(`${bold(k)} = ${v}`);
}

/** A job: status, queue, stage, branch, pull request, error. */
export function printJob(j: JobView): void {
  out(`${bold(j.id)}  ${statusWord(j.status)}  ${j.queue}${j.position ? ` #${j.position}` : ""}  attempts ${j.attempts}`);
  out(`  prompt: ${firstLine(j.prompt)}`);
  if (j.stage) out(`  stage:  ${j.stage}`);
  if (j.branch) out(`  branch: ${j.branch}${j.commit ? ` (${j.commit.slice(0, 12)})` : ""}`);
  if (j.prUrl) out(`  pull request: ${j.prUrl}`);
  if (j.error) out(red(`  error: ${j.error}`));
}

/** A build: phase, plan, error, preview, commit. */
export function printBuild(b: BuildView): void {
  out(`${bold(b.id)}  ${statusWord(b.status)}${b.phase ? `  ${dim(`phase ${b.phase}`)}` : ""}`);
  if (b.prompt) out(b.prompt);
  for (const [i, t] of (b.tasks ?? []).entries()) out(`  ${dim(`${i + 1}.`)} ${t.title}`);
  if (b.error) out(red(`error: ${b.error}`));
  if (b.previewUrl) out(`${bold("preview")} ${b.previewUrl}  ${dim(`version ${b.previewVersion}`)}`);
  if (b.commit) out(`${bold("commit")} ${b.commit}`);
}

/** Any kind without a printer of its own (a publish): what every operation has. */
function printOperation(op: OperationView): void {
  out(`${bold(op.id)}  ${op.kind}  ${statusWord(op.status)}  ${dim(stepDuration(op.startedAt ?? op.createdAt, op.finishedAt))}`);
  out(`  ${op.title}`);
  if (op.error) out(red(`  error: ${op.error}`));
}

/** Register `show ID`. */
export function registerShowCommand(program: Command): void {
  program
    .command("show")
    .description("show any operation: a run with each step's duration, a job, a build or a publish")
    .argument("<id>", "run, job, build or publish id")
    .option("--json", "print the kind's own view as JSON (as GET /runs/{id}, /jobs/{id}, /builds/{id} answer)")
    .action(async (id: string, o: { json?: boolean }) => {
      const op = await (await client()).request<OperationView>("GET", `/operations/${encodeURIComponent(id)}`);
      if (o.json) return printJson(op.detail);
      if (op.kind === "workflow") printRun(op.detail as RunView);
      else if (op.kind === "job") printJob(op.detail as JobView);
      else if (op.kind === "build") printBuild(op.detail as BuildView);
      else printOperation(op);
    });
}
