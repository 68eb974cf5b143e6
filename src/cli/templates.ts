import type { Command } from "commander";
import type { ProjectView } from "../projects/store.ts";
import type { TemplateSummary } from "../projects/templates.ts";
import { CliError, type ApiClient } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, table } from "./render.ts";

async function listTemplates(api: ApiClient): Promise<TemplateSummary[]> {
  return (await api.request<{ templates: TemplateSummary[] }>("GET", "/templates")).templates;
}

/** Register `templates` and `projects new` (after `projects` exists: registerJobCommands). */
export function registerTemplateCommands(program: Command): void {
  program
    .command("templates")
    .description("the templates a project can be created from")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }) => {
      const list = await listTemplates(await client());
      if (o.json) return printJson(list);
      if (list.length === 0) return out(dim("no templates"));
      out(table([["NAME", "TITLE", "DESCRIPTION"].map(dim), ...list.map((t) => [t.name, t.title, t.description])]));
    });

  const projects = program.commands.find((c) => c.name() === "projects");
  if (!projects) throw new Error("registerTemplateCommands needs the projects command (registerJobCommands) first");
  projects
    .command("new")
    .description("create a project from a template: Shipyard keeps its repository, or pushes the template to --repo")
    .argument("<name>", "project name")
    .requiredOption("--template <name>", "the template (see `shipyard templates`)")
    .option("--repo <url-or-path>", "commit the template to this repository's default branch instead of one of Shipyard's own")
    .option("--default-branch <branch>", "the branch the template is committed to", "main")
    .option("--credentials-env <VAR>", "with --repo: read the git token from this environment variable (kept encrypted)")
    .option("--default-model <provider:model>", "the model of this project's builds and builtin agent jobs (else the workspace's)")
    .option("--build-agent <agent>", "the coding agent of its builds: builtin | claude-code", "builtin")
    .option("--json", "print JSON")
    .action(async (name: string, o: { template: string; repo?: string; defaultBranch: string; credentialsEnv?: string; defaultModel?: string; buildAgent: string; json?: boolean }) => {
      if (o.buildAgent !== "builtin" && o.buildAgent !== "claude-code") throw new CliError(`--build-agent is builtin or claude-code, not "${o.buildAgent}"`);
      const credentials = o.credentialsEnv ? process.env[o.credentialsEnv] : undefined;
      if (o.credentialsEnv && !credentials) throw new CliError(`environment variable ${o.credentialsEnv} is empty or not set`);
      const api = await client();
      const known = await listTemplates(api);
      if (!known.some((t) => t.name === o.template)) {
        throw new CliError(`no template "${o.template}": the templates are ${known.map((t) => t.name).join(", ") || "(none)"} (see \`shipyard templates\`)`);
      }
      const project = await api.request<ProjectView>("POST", "/projects", {
        name,
        template: o.template,
        defaultBranch: o.defaultBranch,
        buildAgent: o.buildAgent,
        ...(o.defaultModel ? { defaultModel: o.defaultModel } : {}),
        ...(o.repo ? { repo: o.repo } : {}),
        ...(credentials ? { credentials } : {}),
      });
      if (o.json) return printJson(project);
      out(`project ${bold(project.name)} (${project.id}) from the ${o.template} template`);
      out(dim(`repository: ${project.repo}${project.managedRepo ? " (Shipyard's own)" : ""}, branch ${project.defaultBranch}`));
      if (project.template) out(dim(`its first version is being deployed: shipyard previews ${project.name}`));
    });
}
