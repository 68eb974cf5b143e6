import type { Command } from "commander";
import { CliError } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { resolveProject } from "./jobs.ts";
import { bold, dim, table } from "./render.ts";

interface EnvironmentView {
  environment: "staging" | "production";
  version: number | null;
  url: string;
}

interface Previews {
  versions: { version: number; commit: string | null; buildId: string | null; createdAt: string; url: string }[];
  environments: Record<"staging" | "production", EnvironmentView>;
  deployTarget: string;
}

/** Register `previews PROJECT` and `promote PROJECT VERSION`: a project's preview versions, and rollback or forward. */
export function registerPreviewCommands(program: Command): void {
  program
    .command("previews")
    .description("a project's preview versions and what its staging and production URLs show")
    .argument("<project>", "project id or name")
    .option("--json", "print JSON")
    .action(async (ref: string, o: { json?: boolean }) => {
      const api = await client();
      const project = await resolveProject(api, ref);
      const previews = await api.request<Previews>("GET", `/projects/${encodeURIComponent(project.id)}/previews`);
      if (o.json) return printJson(previews);
      for (const env of Object.values(previews.environments)) {
        out(`${bold(env.environment.padEnd(10))} ${env.version === null ? dim("nothing yet") : `v${env.version}`}  ${env.url}`);
      }
      if (previews.versions.length === 0) return out(dim("no versions yet: a build publishes one"));
      const shows = (v: number) => Object.values(previews.environments).filter((e) => e.version === v).map((e) => e.environment).join(",");
      out("");
      out(table([["VERSION", "COMMIT", "CREATED", "SHOWN ON", "URL"].map(dim), ...previews.versions.map((v) => [`v${v.version}`, (v.commit ?? "-").slice(0, 10), v.createdAt, shows(v.version) || "-", v.url])]));
    });
  program
    .command("promote")
    .description("point an environment at a version at once (rollback or forward, no rebuild)")
    .argument("<project>", "project id or name")
    .argument("<version>", "version number (see `shipyard previews PROJECT`)")
    .option("--env <environment>", "staging or production", "staging")
    .option("--json", "print JSON")
    .action(async (ref: string, versionText: string, o: { env: string; json?: boolean }) => {
      const version = Number(versionText.replace(/^v/, ""));
      if (!Number.isInteger(version) || version < 1) throw new CliError(`not a version number: ${versionText}`);
      if (o.env !== "staging" && o.env !== "production") throw new CliError(`--env is staging or production, not ${o.env}`);
      const api = await client();
      const project = await resolveProject(api, ref);
      const view = await api.request<EnvironmentView>("POST", `/projects/${encodeURIComponent(project.id)}/previews/${version}/promote`, { environment: o.env });
      if (o.json) return printJson(view);
      out(`${view.environment} of ${bold(project.name)} now shows v${view.version}: ${view.url}`);
    });
}
