// `shipyard deploy` (start a deployment and follow it live) and `shipyard deployments` (list, show, cancel).
import { promises as fs } from "node:fs";
import type { Command } from "commander";
import { parse as parseYaml } from "yaml";
import type { DeploymentView } from "../deployments/schemas.ts";
import type { ProjectView } from "../projects/store.ts";
import { CliError, type ApiClient } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, red, statusWord, table } from "./render.ts";
import { followExitCode, followOperation } from "./runs.ts";

/** A project by id or name. */
async function projectOf(api: ApiClient, ref: string): Promise<ProjectView> {
  const { projects } = await api.request<{ projects: ProjectView[] }>("GET", "/projects");
  const found = projects.find((p) => p.id === ref || p.name === ref);
  if (!found) throw new CliError(`no project "${ref}": list them with \`shipyard projects list\``);
  return found;
}

/** A YAML or JSON object from a file, or inline JSON (`{...}`). */
async function objectFrom(what: string, value: string): Promise<Record<string, unknown>> {
  const text = value.trimStart().startsWith("{") ? value : await fs.readFile(value, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read the ${what} ${value}: ${err.code ?? err.message}`);
  });
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new CliError(`the ${what} is not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CliError(`the ${what} must be a mapping (key: value), not ${Array.isArray(parsed) ? "a list" : typeof parsed}`);
  return parsed as Record<string, unknown>;
}

/** The problems of a refused deployment, one per line (field: reason). */
function refusal(err: unknown): never {
  const problem = (err as { problem?: { code?: string; errors?: { path: string; message: string }[] } }).problem;
  if (problem?.code === "invalid_config" && Array.isArray(problem.errors)) {
    throw new CliError(`the deployment was refused:\n${problem.errors.map((e) => `  ${e.path}: ${e.message}`).join("\n")}`);
  }
  throw err;
}

/** What a deployment made, as the lines `deployments show` prints. */
function describe(d: DeploymentView): string[] {
  const lines = [`${bold(d.id)}  ${statusWord(d.status === "generated" || d.status === "deployed" ? "succeeded" : d.status)} ${dim(d.status)}  ${d.generator} ${dim(d.mode)}`];
  lines.push(`${dim("step")} ${d.currentStep ?? "-"} ${dim(`(${d.stepsCurrent}/${d.stepsTotal})`)}${d.message ? `  ${d.message}` : ""}`);
  if (d.error) lines.push(red(`error: ${d.error}`));
  if (d.commit) lines.push(`${bold("commit")} ${d.commit}${d.branch ? dim(`  on ${d.branch}`) : ""}`);
  if (d.prUrl) lines.push(`${bold("pull request")} ${d.prUrl}`);
  if (d.deploymentUrl) lines.push(`${bold("url")} ${d.deploymentUrl}`);
  if (d.files.length > 0) lines.push(bold("files"), ...d.files.map((f) => `  ${f.path} ${dim(`${f.bytes} B`)}`));
  return lines;
}

/** Register `deploy` and `deployments` (list, show, cancel). */
export function registerDeploymentCommands(program: Command): void {
  program
    .command("deploy")
    .description("generate a project's deployment files and commit them (a branch with a pull request on GitHub, or --direct), or run them against a target with --execute; follows it live")
    .argument("<project>", "project id or name")
    .requiredOption("-g, --generator <name>", "docker-compose, helm, kubernetes or terraform")
    .option("-c, --config <file>", "the app description (YAML or JSON file, or inline JSON)")
    .option("--execute", "run the tool (docker compose, helm, kubectl, terraform) against --target instead of committing")
    .option("-t, --target <file>", "where --execute deploys (YAML or JSON file, or inline JSON), e.g. '{\"type\":\"docker\",\"hostUrl\":\"ssh://deploy@host\"}'")
    .option("--direct", "commit to the default branch instead of a branch with a pull request")
    .option("-d, --detach", "print the deployment id and return at once")
    .option("--json", "print the deployment and its events as JSON")
    .action(async (ref: string, o: { generator: string; config?: string; execute?: boolean; target?: string; direct?: boolean; detach?: boolean; json?: boolean }) => {
      const config = o.config ? await objectFrom("config", o.config) : {};
      const target = o.target ? await objectFrom("target", o.target) : undefined;
      const api = await client();
      const project = await projectOf(api, ref);
      const body = { generator: o.generator, config, mode: o.execute ? "execute" : "generate", ...(target ? { target } : {}), ...(o.direct ? { direct: true } : {}) };
      const d = await api.request<DeploymentView>("POST", `/projects/${encodeURIComponent(project.id)}/deployments`, body).catch(refusal);
      if (o.detach) return o.json ? printJson(d) : out(d.id);
      if (!o.json) out(`${bold("▶")} deployment ${bold(d.id)} of ${project.name} (${d.generator}, ${d.mode})  ${dim(`show: shipyard deployments show ${d.id}`)}`);
      const status = await followOperation(api, d.id, o.json ?? false, "deployment");
      if (!o.json && status === "succeeded") {
        const done = await api.request<DeploymentView>("GET", `/deployments/${encodeURIComponent(d.id)}`);
        for (const line of describe(done).slice(2)) out(line);
      }
      process.exitCode = followExitCode(status);
    });

  const deployments = program
    .command("deployments")
    .description("deployments of the workspace, or of one project: list, show ID, cancel ID")
    .argument("[project]", "project id or name")
    .option("--json", "print JSON")
    .action(async (ref: string | undefined, o: { json?: boolean }) => {
      const api = await client();
      const route = ref ? `/projects/${encodeURIComponent((await projectOf(api, ref)).id)}/deployments` : "/deployments";
      const { deployments: list } = await api.request<{ deployments: DeploymentView[] }>("GET", route);
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim("no deployments yet: start one with shipyard deploy PROJECT --generator docker-compose --config app.yaml"));
      out(table([["ID", "STATUS", "GENERATOR", "MODE", "STEP", "COMMIT / URL"].map(dim), ...list.map((d) => [d.id, d.status, d.generator, d.mode, d.currentStep ?? "", d.deploymentUrl ?? d.prUrl ?? d.commit?.slice(0, 12) ?? ""])]));
    });
  deployments
    .command("show")
    .description("one deployment: progress, files, commit, pull request, URL (--file PATH prints a generated file)")
    .argument("<id>", "deployment id")
    .option("--file <path>", "print this generated file's content")
    .action(async (id: string, o: { file?: string }, cmd: Command) => {
      // --json is the parent's option (`deployments [project] --json`), which commander gives it wherever it stands.
      const json = (cmd.optsWithGlobals() as { json?: boolean }).json ?? false;
      const api = await client();
      if (o.file) {
        const { files } = await api.request<{ files: { path: string; content: string }[] }>("GET", `/deployments/${encodeURIComponent(id)}/files?path=${encodeURIComponent(o.file)}`);
        return json ? printJson(files[0]) : void process.stdout.write(files[0]!.content);
      }
      const d = await api.request<DeploymentView>("GET", `/deployments/${encodeURIComponent(id)}`);
      if (json) return printJson(d);
      for (const line of describe(d)) out(line);
    });
  deployments
    .command("cancel")
    .description("cancel a deployment (a running tool is killed)")
    .argument("<id>", "deployment id")
    .action(async (id: string) => {
      const d = await (await client()).request<DeploymentView>("POST", `/deployments/${encodeURIComponent(id)}/cancel`);
      out(`${d.id} ${d.status}`);
    });
}
