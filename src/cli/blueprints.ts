// `shipyard blueprint`: shape a feature's plan with the Architect and build it. Self-contained: it needs only
// the API client, so it loads nothing of the server.
import { promises as fs } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import type { BlueprintView, ReferenceView } from "../blueprints/schemas.ts";
import type { BuildView } from "../builds/schemas.ts";
import { CliError, type ApiClient } from "./client.ts";
import { projectRef } from "./builds.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, green, red, yellow } from "./render.ts";
import { followExitCode, followOperation } from "./runs.ts";

const SECTION_NAMES = { dataModel: "data model", apiEndpoints: "API endpoints", uiComponents: "UI components", designSystem: "design system", dependencies: "dependencies" } as const;
const MARK = { empty: dim("○"), partial: yellow("◐"), complete: green("●") } as const;

/** How many things a section lists, in words. */
function itemsOf(bp: BlueprintView, key: keyof typeof SECTION_NAMES): string {
  const s = bp.sections;
  const n = { dataModel: s.dataModel.entities.length, apiEndpoints: s.apiEndpoints.endpoints.length, uiComponents: s.uiComponents.components.length, designSystem: s.designSystem.colors.length, dependencies: s.dependencies.items.length }[key];
  const what = { dataModel: "entities", apiEndpoints: "endpoints", uiComponents: "components", designSystem: "colors", dependencies: "packages" }[key];
  return n ? `${n} ${what}` : "";
}

/** The plan in a few lines: each section with its status, then what blocks the build. */
export function compactPlan(bp: BlueprintView): string[] {
  const ready = bp.readyToBuild ? green("ready to build") : bp.status === "building" ? yellow("building") : dim("not ready");
  const lines = [`${bold(bp.featureName)}  ${dim(bp.id)}  ${bp.status}  ${ready}`];
  if (bp.summary) lines.push(`  ${bp.summary}`);
  for (const key of Object.keys(SECTION_NAMES) as (keyof typeof SECTION_NAMES)[]) {
    const status = bp.sections[key].status;
    lines.push(`  ${MARK[status]} ${SECTION_NAMES[key].padEnd(15)} ${status.padEnd(9)}${dim(itemsOf(bp, key))}`);
  }
  if (bp.references.items.length) lines.push(`  ${dim("references:")} ${bp.references.items.map((r) => (r.type === "url" ? r.source : `${r.source} (upload)`)).join(", ")}`);
  for (const b of bp.blockers) lines.push(`  ${yellow("!")} ${b}`);
  if (bp.lastError) lines.push(red(`  last build failed: ${bp.lastError.split("\n")[0]}`));
  if (bp.readyToBuild) lines.push(dim(`  build it: shipyard blueprint build ${bp.id}`));
  return lines;
}

/** A --ref as the chat takes it: a URL as is, a file uploaded first. */
async function referenceOf(api: ApiClient, blueprintId: string, ref: string): Promise<{ type: "url"; source: string } | { type: "upload"; id: string }> {
  if (/^https?:\/\//i.test(ref)) return { type: "url", source: ref };
  const bytes = await fs.readFile(ref).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${ref}: ${err.code ?? err.message} (a --ref is an http(s) URL or an image file)`);
  });
  const uploaded = await api.upload<ReferenceView>(`/blueprints/${encodeURIComponent(blueprintId)}/references?name=${encodeURIComponent(path.basename(ref))}`, bytes, "application/octet-stream");
  return { type: "upload", id: uploaded.id };
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Register `blueprint new | chat | show | list | build`. */
export function registerBlueprintCommands(program: Command): void {
  const blueprint = program.command("blueprint").description("shape a feature's plan with the Architect, then build it");
  blueprint
    .command("new")
    .description("start a blueprint for a feature of a project (every section empty)")
    .argument("<project>", "project id or name")
    .argument("<feature>", "the feature's name, e.g. \"Social World\"")
    .option("--json", "print JSON")
    .action(async (ref: string, feature: string, o: { json?: boolean }) => {
      const api = await client();
      const project = await projectRef(api, ref);
      const bp = await api.request<BlueprintView>("POST", `/projects/${encodeURIComponent(project.id)}/blueprints`, { featureName: feature });
      if (o.json) return printJson(bp);
      out(`${bold(bp.id)}  ${bp.featureName} (spec: ${bp.specPath})`);
      out(dim(`talk it through: shipyard blueprint chat ${bp.id} "what it should do"`));
    });
  blueprint
    .command("chat")
    .description("one turn with the Architect: prints its reply and the plan, section by section")
    .argument("<id>", "blueprint id")
    .argument("<message>", "what you say")
    .option("--ref <url|file>", "a design reference: a page's URL (screenshotted) or an image file (PNG, JPEG, WebP); repeatable", collect, [])
    .option("--json", "print the reply and the blueprint as JSON")
    .action(async (id: string, message: string, o: { ref: string[]; json?: boolean }) => {
      const api = await client();
      const references = [];
      for (const ref of o.ref) references.push(await referenceOf(api, id, ref));
      const turn = await api.request<{ reply: string; blueprint: BlueprintView }>("POST", `/blueprints/${encodeURIComponent(id)}/chat`, { message, ...(references.length ? { references } : {}) });
      if (o.json) return printJson(turn);
      out(`${bold("Architect:")} ${turn.reply}`);
      out("");
      for (const line of compactPlan(turn.blueprint)) out(line);
    });
  blueprint
    .command("show")
    .description("a blueprint: its plan, blockers and conversation")
    .argument("<id>", "blueprint id")
    .option("--json", "print JSON (with every message and the blueprint after each turn)")
    .action(async (id: string, o: { json?: boolean }) => {
      const bp = await (await client()).request<BlueprintView & { messages: { role: string; content: string }[] }>("GET", `/blueprints/${encodeURIComponent(id)}`);
      if (o.json) return printJson(bp);
      for (const line of compactPlan(bp)) out(line);
      for (const q of bp.openQuestions) out(`  ${dim(`${q.id}.`)} ${q.question}`);
      if (bp.messages.length) out(dim(`  ${bp.messages.length / 2} turn${bp.messages.length === 2 ? "" : "s"}; last reply: ${bp.messages.at(-1)!.content.split("\n")[0]!.slice(0, 100)}`));
    });
  blueprint
    .command("list")
    .description("a project's blueprints, newest first")
    .argument("<project>", "project id or name")
    .option("--json", "print JSON")
    .action(async (ref: string, o: { json?: boolean }) => {
      const api = await client();
      const project = await projectRef(api, ref);
      const { blueprints } = await api.request<{ blueprints: BlueprintView[] }>("GET", `/projects/${encodeURIComponent(project.id)}/blueprints`);
      if (o.json) return printJson(blueprints);
      if (blueprints.length === 0) return out(dim(`no blueprints yet: shipyard blueprint new ${project.name} "a feature"`));
      for (const bp of blueprints) out(`${bp.id}  ${bp.status.padEnd(8)} ${bp.readyToBuild ? green("ready") : dim("not ready")}  ${bp.featureName}`);
    });
  blueprint
    .command("archive")
    .description("archive a blueprint: kept with its history, no longer chatted with or built")
    .argument("<id>", "blueprint id")
    .action(async (id: string) => {
      const bp = await (await client()).request<BlueprintView>("POST", `/blueprints/${encodeURIComponent(id)}/archive`);
      out(`${bp.id} archived`);
    });
  blueprint
    .command("build")
    .description("build a ready blueprint and follow it live (spec, design, implement, test, deploy); exit 0 when it succeeds")
    .argument("<id>", "blueprint id")
    .option("-d, --detach", "print the build id and return at once")
    .option("--json", "print the build's events as JSON")
    .action(async (id: string, o: { detach?: boolean; json?: boolean }) => {
      const api = await client();
      const started = await api.request<{ operationId: string; blueprint: BlueprintView }>("POST", `/blueprints/${encodeURIComponent(id)}/build`);
      if (o.detach) return o.json ? printJson(started) : out(started.operationId);
      if (!o.json) out(`${bold("▶")} build ${bold(started.operationId)} of ${started.blueprint.featureName}  ${dim(`spec: ${started.blueprint.specPath}`)}`);
      process.exitCode = followExitCode(await followOperation(api, started.operationId, o.json ?? false, "build"));
      if (!o.json) {
        const build = await api.request<BuildView>("GET", `/builds/${encodeURIComponent(started.operationId)}`);
        if (build.previewUrl) out(`${bold("preview")} ${build.previewUrl}`);
      }
    });
}
