import { promises as fs } from "node:fs";
import type { Command } from "commander";
import { DEMO_MODEL, DEMO_TEMPLATE, SCENARIOS } from "../builds/demo.ts";
import type { BuildView } from "../builds/schemas.ts";
import type { ProjectView } from "../projects/store.ts";
import { CliError, type ApiClient } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, statusWord, table } from "./render.ts";
import { followExitCode, followOperation } from "./runs.ts";
import { printBuild } from "./show.ts";

/** A project by id or name. */
export async function projectRef(api: ApiClient, ref: string): Promise<ProjectView> {
  const { projects } = await api.request<{ projects: ProjectView[] }>("GET", "/projects");
  const found = projects.find((p) => p.id === ref || p.name === ref);
  if (!found) throw new CliError(`no project "${ref}": list them with \`shipyard projects list\`, or create one with \`shipyard projects new NAME --template static\``);
  return found;
}

/** Register `build` (start and follow a build) and `builds` (list, show, cancel). */
export function registerBuildCommands(program: Command): void {
  program
    .command("build")
    .description("build a change to a project from a prompt and follow it live: plan, implement, test, deploy; prints the preview URL (exit 0 when it succeeds)")
    .argument("<project>", "project id or name")
    .argument("[prompt]", "what to build (or --prompt-file)")
    .option("--prompt-file <file>", "read the prompt from a file")
    .option("--max-fix-attempts <n>", "fix attempts after a failed test phase (default 2)")
    .option("-d, --detach", "print the build id and return at once")
    .option("--json", "print the build and its events as JSON")
    .action(async (ref: string, promptArg: string | undefined, o: { promptFile?: string; maxFixAttempts?: string; detach?: boolean; json?: boolean }) => {
      const prompt = o.promptFile ? await fs.readFile(o.promptFile, "utf8").catch((err: NodeJS.ErrnoException) => { throw new CliError(`cannot read ${o.promptFile}: ${err.code ?? err.message}`); }) : promptArg;
      if (!prompt?.trim()) throw new CliError('say what to build: shipyard build PROJECT "a landing page for a bakery" (or --prompt-file FILE)');
      const maxFixAttempts = o.maxFixAttempts === undefined ? undefined : Number(o.maxFixAttempts);
      if (maxFixAttempts !== undefined && !(Number.isInteger(maxFixAttempts) && maxFixAttempts >= 0 && maxFixAttempts <= 5)) throw new CliError("--max-fix-attempts expects a whole number from 0 to 5");
      const api = await client();
      const project = await projectRef(api, ref);
      const build = await api.request<BuildView>("POST", `/projects/${encodeURIComponent(project.id)}/builds`, { prompt, ...(maxFixAttempts !== undefined ? { maxFixAttempts } : {}) });
      if (o.detach) return o.json ? printJson(build) : out(build.id);
      if (!o.json) out(`${bold("▶")} build ${bold(build.id)} of ${project.name}  ${dim(`follow: shipyard logs -f ${build.id}`)}`);
      process.exitCode = followExitCode(await followOperation(api, build.id, o.json ?? false, "build"));
    });

  program
    .command("demo")
    .description("offline demo: a new project from the static template, then a build of a bakery's landing page on recorded model answers (no API key, no network), to a live preview URL")
    .option("--json", "print the build's events as JSON")
    .action(async (o: { json?: boolean }) => {
      const api = await client();
      const name = `demo-bakery-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}`;
      const project = await api.request<ProjectView>("POST", "/projects", { name, template: DEMO_TEMPLATE, defaultModel: DEMO_MODEL });
      const prompt = SCENARIOS[0]!.prompt;
      const build = await api.request<BuildView>("POST", `/projects/${encodeURIComponent(project.id)}/builds`, { prompt });
      if (!o.json) out(`${bold("▶")} project ${bold(name)} (static template), build ${bold(build.id)}: ${dim(prompt)}`);
      process.exitCode = followExitCode(await followOperation(api, build.id, o.json ?? false, "build"));
    });

  const builds = program.command("builds").description("a project's builds");
  builds
    .command("list")
    .description("a project's builds, newest first")
    .argument("<project>", "project id or name")
    .option("--json", "print JSON")
    .action(async (ref: string, o: { json?: boolean }) => {
      const api = await client();
      const project = await projectRef(api, ref);
      const { builds: list } = await api.request<{ builds: BuildView[] }>("GET", `/projects/${encodeURIComponent(project.id)}/builds`);
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim(`no builds yet: start one with shipyard build ${project.name} "..."`));
      out(table([["ID", "STATUS", "PHASE", "VERSION", "PROMPT"].map(dim), ...list.map((b) => [b.id, statusWord(b.status), b.phase ?? "", b.previewVersion === null ? "" : String(b.previewVersion), (b.prompt ?? "(deploy)").split("\n")[0]!.slice(0, 50)])]));
    });
  builds
    .command("show")
    .description("one build: phase, plan, commit, preview")
    .argument("<id>", "build id")
    .option("--json", "print JSON")
    .action(async (id: string, o: { json?: boolean }) => {
      const b = await (await client()).request<BuildView>("GET", `/builds/${encodeURIComponent(id)}`);
      if (o.json) return printJson(b);
      printBuild(b);
    });
}
