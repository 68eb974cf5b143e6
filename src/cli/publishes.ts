import type { Command } from "commander";
import type { PublishView } from "../publishes/schemas.ts";
import { projectRef } from "./builds.ts";
import { CliError } from "./client.ts";
import { client, out, printJson } from "./io.ts";
import { bold, dim, statusWord, table } from "./render.ts";
import { followExitCode, followOperation } from "./runs.ts";

const ENVIRONMENTS = ["staging", "production"];

function environment(flag: string, value: string): string {
  if (!ENVIRONMENTS.includes(value)) throw new CliError(`${flag} expects staging or production, not ${JSON.stringify(value)}`);
  return value;
}

/** Register `publish` (publish staging to production and follow it) and `publishes list`. */
export function registerPublishCommands(program: Command): void {
  program
    .command("publish")
    .description("publish what staging shows to production and follow it live: validate, deploy, verify in Chromium, then promote (exit 0 when it succeeds)")
    .argument("<project>", "project id or name")
    .option("--from <env>", "the environment whose version is published", "staging")
    .option("--to <env>", "the environment it goes to", "production")
    .option("-d, --detach", "print the publish id and return at once")
    .option("--json", "print the publish and its events as JSON")
    .action(async (ref: string, o: { from: string; to: string; detach?: boolean; json?: boolean }) => {
      const body = { fromEnvironment: environment("--from", o.from), toEnvironment: environment("--to", o.to) };
      if (body.fromEnvironment === body.toEnvironment) throw new CliError("--from and --to must differ");
      const api = await client();
      const project = await projectRef(api, ref);
      const publish = await api.request<PublishView>("POST", `/projects/${encodeURIComponent(project.id)}/publish`, body);
      if (o.detach) return o.json ? printJson(publish) : out(publish.id);
      if (!o.json) out(`${bold("▶")} publish ${bold(publish.id)} of ${project.name} v${publish.version}: ${publish.fromEnvironment} → ${publish.toEnvironment}  ${dim(`follow: shipyard logs -f ${publish.id}`)}`);
      process.exitCode = followExitCode(await followOperation(api, publish.id, o.json ?? false, "publish"));
    });

  program
    .command("publishes")
    .description("a project's publishes, newest first")
    .argument("<project>", "project id or name")
    .option("--json", "print JSON")
    .action(async (ref: string, o: { json?: boolean }) => {
      const api = await client();
      const project = await projectRef(api, ref);
      const { publishes } = await api.request<{ publishes: PublishView[] }>("GET", `/projects/${encodeURIComponent(project.id)}/publishes`);
      if (o.json) return printJson(publishes);
      if (publishes.length === 0) return out(dim(`no publishes yet: shipyard publish ${project.name}`));
      out(table([["ID", "STATUS", "VERSION", "FROM", "TO", "URL"].map(dim), ...publishes.map((p) => [p.id, statusWord(p.status), String(p.version), p.fromEnvironment, p.toEnvironment, p.url ?? ""])]));
    });
}
